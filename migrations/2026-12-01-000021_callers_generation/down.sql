DROP TRIGGER committees_callers_changed ON committees;
DROP TRIGGER accounts_callers_removed ON accounts;
DROP TRIGGER accounts_callers_changed ON accounts;
DROP TRIGGER sessions_callers_removed ON sessions;
DROP TRIGGER sessions_callers_changed ON sessions;
DROP FUNCTION callers_changed();
ALTER TABLE committee_policy_generation DROP COLUMN callers;
