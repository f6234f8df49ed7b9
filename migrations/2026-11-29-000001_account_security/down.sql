DROP TABLE audit_events;
DROP FUNCTION audit_events_append_only();
ALTER TABLE accounts DROP COLUMN must_change_password;
