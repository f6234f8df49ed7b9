-- Each server keeps where the handling bodies sit (`KeptPolicies::places_of`), as it keeps the
-- committees' paths and policies: a refer, a transfer or a reopen checked its body in a
-- statement and round trip of its own, after the row lock, since the check needs the policy
-- the lock brings. A body moved to another committee or removed now raises the policies'
-- number, so the next step on any server reads where it sits again. A body added needs no
-- number: a body no server has kept is read. A committee moved already raises it.
CREATE CONSTRAINT TRIGGER handling_bodies_policy_changed
    AFTER DELETE OR UPDATE OF committee_id ON handling_bodies
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION committee_policy_changed();
