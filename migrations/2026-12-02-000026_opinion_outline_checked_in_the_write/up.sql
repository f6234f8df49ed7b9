-- A write to an opinion checks, in its own statement, that the row it leaves is what its
-- timeline event and outbox row (sent in the same round trip) say of it: the check was the
-- server's, after the answers came back, and a server that sends COMMIT in that same round
-- trip (db::transaction, bench/NOTES.md, state transition) cannot refuse afterwards. A
-- failing check fails the statement, so the transaction is aborted and its COMMIT rolls back.
CREATE FUNCTION opinion_as_outlined(holds boolean, opinion uuid) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF holds IS NOT TRUE THEN
        RAISE EXCEPTION 'opinion % was written unlike what its timeline records', opinion
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN true;
END
$$;
