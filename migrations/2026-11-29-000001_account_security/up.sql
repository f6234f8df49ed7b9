-- Usernames are stored in their one normalised form (ASCII, lower case), the form every
-- look-up uses; the unique index on lower(username) keeps guaranteeing there is no clash.
UPDATE accounts SET username = lower(username) WHERE username <> lower(username);

-- When a throttled key last tried: after too many failures each next try must wait twice as
-- long as the one before (growing delays, OWASP), measured from here.
ALTER TABLE login_throttle ADD COLUMN last_attempt_at timestamptz;

-- An account whose password was reset by someone else must choose a new one before anything
-- else.
ALTER TABLE accounts ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;

-- Who did what to whom, for the security-relevant acts an assessor asks about (password
-- resets, ID-number collisions). Append-only like the opinion timeline.
CREATE TABLE audit_events (
    id          uuid PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    uuid REFERENCES accounts (id) ON DELETE SET NULL,
    action      text NOT NULL CHECK (char_length(action) BETWEEN 1 AND 100),
    subject_id  uuid,
    details     jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_subject ON audit_events (subject_id, at);

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
