CREATE OR REPLACE PROCEDURE refresh_all_opinion_measures() LANGUAGE plpgsql AS $$
DECLARE
    batch uuid[];
BEGIN
    FOR batch IN
        SELECT array_agg(id) FROM (
            SELECT id, (row_number() OVER (ORDER BY id) - 1) / 1000 AS chunk FROM opinions
        ) numbered GROUP BY chunk
    LOOP
        PERFORM recompute_opinion_measures(batch);
        PERFORM recompute_referral_measures(batch);
        COMMIT;
    END LOOP;
    PERFORM rebuild_opinion_measures_sums();
END
$$;

