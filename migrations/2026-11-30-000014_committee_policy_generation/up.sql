-- Each server keeps the committees' paths and effective policies it has read, stamped with
-- this number; a read takes the number in its own statement and uses a kept policy only while
-- the number has not moved. Every committed change to the tree or to a policy raises it, so a
-- change made through any replica is seen by the next read on every replica, with nothing to
-- broadcast (as `public_schedule_generation` does for the public schedule).
CREATE TABLE committee_policy_generation (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    n        bigint NOT NULL
);
INSERT INTO committee_policy_generation (only_row, n) VALUES (true, 0);

CREATE FUNCTION committee_policy_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE committee_policy_generation SET n = n + 1;
    RETURN NULL;
END
$$;

-- Deferred to commit, like the schedule's: the one row is locked last and only for the
-- commit. A committee's path is its `ancestors`; inserts and deletes are counted too, so no
-- kept entry can outlive the committee it describes.
CREATE CONSTRAINT TRIGGER committees_policy_changed
    AFTER INSERT OR DELETE OR UPDATE OF ancestors, parent_id ON committees
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION committee_policy_changed();
CREATE CONSTRAINT TRIGGER committee_policies_policy_changed
    AFTER INSERT OR UPDATE OR DELETE ON committee_policies
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION committee_policy_changed();
