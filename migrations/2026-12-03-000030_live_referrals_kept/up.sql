-- An opinion carries its referrals not returned, as `opinion_live_referrals` gives them
-- ([[handling body, role, round], …]), so GET one opinion and a page of them read no
-- referral.
--
-- Each joined the referrals: one probe of their index and one visit to their table an
-- opinion. Under pgbench at 32 connections on the district data, the GET's statement alone
-- served 25k transactions a second with the join and 33k reading a kept copy; a staff page
-- of fifty, 5.6k and 6.9k (bench/NOTES.md, GET one opinion).
--
-- Kept where they change: a referral is written or returned only by a step, and every step
-- ends with the update of its opinion, which bumps its version (`opinions::model::apply`,
-- sent after the step's referral rows). A trigger on that update sets the copy from the
-- referrals the update sees, its own step's included, so the copy holds whichever server
-- wrote the step (a replica of an older release during an upgrade too). The update returned
-- the same value already, so a step computes nothing more than it did.
ALTER TABLE opinions ADD COLUMN live_referrals jsonb NOT NULL DEFAULT '[]';

-- In the order they were written (ids are UUIDv7), so a copy and a fresh reading compare
-- equal; the aggregate's order was the scan's.
CREATE OR REPLACE FUNCTION opinion_live_referrals(opinion uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN COALESCE(
        (SELECT jsonb_agg(jsonb_build_array(r.handling_body_id, r.role, r.round) ORDER BY r.id)
         FROM referrals r
         WHERE r.opinion_id = opinion AND r.returned_at IS NULL),
        '[]');
END
$$;

-- The state guard checks a row's state against its timeline at commit; this copy changes
-- neither, so the guard need not run for each row filled here.
ALTER TABLE opinions DISABLE TRIGGER opinions_state_matches_timeline;
UPDATE opinions o SET live_referrals = opinion_live_referrals(o.id)
 WHERE EXISTS (SELECT FROM referrals r WHERE r.opinion_id = o.id AND r.returned_at IS NULL);
ALTER TABLE opinions ENABLE TRIGGER opinions_state_matches_timeline;

CREATE FUNCTION opinion_live_referrals_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.live_referrals := opinion_live_referrals(NEW.id);
    RETURN NEW;
END
$$;

CREATE TRIGGER opinion_live_referrals_kept BEFORE UPDATE ON opinions
    FOR EACH ROW WHEN (OLD.version IS DISTINCT FROM NEW.version)
    EXECUTE FUNCTION opinion_live_referrals_kept();
