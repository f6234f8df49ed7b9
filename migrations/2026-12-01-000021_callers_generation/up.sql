-- A read folds the session check into its own statement (`access::AuthedRead`). It did so by
-- an EXISTS over the session, its account and the committees below it, which was about a
-- quarter of GET one opinion's statement: each relation a statement touches costs about as
-- much as the rows it reads. Instead, every committed change to what a caller is loaded
-- from (a session revoked or ended, an account changed or removed, a committee added, moved
-- or removed) raises `callers`, and a server folds in only that the number is still the one
-- it read with the session. The number sits on the row the read already takes for the
-- committees' policies, so the check touches nothing more.
ALTER TABLE committee_policy_generation ADD COLUMN callers bigint NOT NULL DEFAULT 0;

CREATE FUNCTION callers_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE committee_policy_generation SET callers = callers + 1;
    RETURN NULL;
END
$$;

-- Deferred to commit, as the policies' number is: the one row is locked last and only for
-- the commit, and a reader that sees the old number also sees the old rows.
CREATE CONSTRAINT TRIGGER sessions_callers_changed
    AFTER UPDATE OF revoked_at, expires_at, account_id ON sessions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at
          OR OLD.expires_at IS DISTINCT FROM NEW.expires_at
          OR OLD.account_id IS DISTINCT FROM NEW.account_id)
    EXECUTE FUNCTION callers_changed();
CREATE CONSTRAINT TRIGGER sessions_callers_removed
    AFTER DELETE ON sessions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION callers_changed();
-- Only what a caller is loaded from: a new password hash alone (a voter registering again)
-- sends no kept session the long way.
CREATE CONSTRAINT TRIGGER accounts_callers_changed
    AFTER UPDATE OF id, username, role, committee_id, liaison_group_id, handling_body_id,
                    representative_id, voter_id, must_change_password, disabled_at ON accounts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN ((OLD.id, OLD.username, OLD.role, OLD.committee_id, OLD.liaison_group_id,
           OLD.handling_body_id, OLD.representative_id, OLD.voter_id,
           OLD.must_change_password, OLD.disabled_at)
          IS DISTINCT FROM
          (NEW.id, NEW.username, NEW.role, NEW.committee_id, NEW.liaison_group_id,
           NEW.handling_body_id, NEW.representative_id, NEW.voter_id,
           NEW.must_change_password, NEW.disabled_at))
    EXECUTE FUNCTION callers_changed();
CREATE CONSTRAINT TRIGGER accounts_callers_removed
    AFTER DELETE ON accounts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION callers_changed();
-- Whether a caller's committee has others below it is part of the caller.
CREATE CONSTRAINT TRIGGER committees_callers_changed
    AFTER INSERT OR DELETE OR UPDATE OF parent_id ON committees
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION callers_changed();
