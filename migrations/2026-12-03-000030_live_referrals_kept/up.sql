-- An opinion carries its referrals not returned, as `opinion_live_referrals` gives them
-- ([[handling body, role, round], …]), so GET one opinion and a page of them read no
-- referral.
--
-- Each joined the referrals: one probe of their index and one visit to their table an
-- opinion. Under pgbench at 32 connections on the district data, the GET's statement alone
-- served 25k transactions a second with the join and 33k reading a kept copy; a staff page
-- of fifty, 5.6k and 6.9k (bench/NOTES.md, GET one opinion).
--
-- Kept by the write that changes them: a referral is written or returned only by a step,
-- and every step ends with the update of its opinion (`opinions::model::apply`), which
-- sets this column from the referrals it sees, its own included. That update returned the
-- same value already, so the writes compute nothing more than they did.
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
