DROP TRIGGER opinion_live_referrals_kept ON opinions;
DROP FUNCTION opinion_live_referrals_kept();
ALTER TABLE opinions DROP COLUMN live_referrals;

CREATE OR REPLACE FUNCTION opinion_live_referrals(opinion uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN COALESCE(
        (SELECT jsonb_agg(jsonb_build_array(r.handling_body_id, r.role, r.round))
         FROM referrals r
         WHERE r.opinion_id = opinion AND r.returned_at IS NULL),
        '[]');
END
$$;
