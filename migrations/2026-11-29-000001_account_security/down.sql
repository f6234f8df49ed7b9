DROP TABLE audit_events;
DROP FUNCTION audit_events_append_only();
ALTER TABLE accounts DROP COLUMN must_change_password;
ALTER TABLE login_throttle DROP COLUMN last_attempt_at;
