-- Every opinion's measures again (after a bulk load), two hundred opinions at a time where it
-- was a thousand. The recompute keeps one generic plan (a step recomputes one opinion), which
-- reckons on a few dozen events and joins its parts in nested loops: at a thousand opinions a
-- batch those loops compared about two million rows, more than the batch's real work. On the
-- district data set, 40,000 opinions took 15.6 s a thousand at a time, 8.8 s two hundred at a
-- time and 10.5 s a hundred at a time.
CREATE OR REPLACE PROCEDURE refresh_all_opinion_measures() LANGUAGE plpgsql AS $$
DECLARE
    batch uuid[];
BEGIN
    FOR batch IN
        SELECT array_agg(id) FROM (
            SELECT id, (row_number() OVER (ORDER BY id) - 1) / 200 AS chunk FROM opinions
        ) numbered GROUP BY chunk
    LOOP
        PERFORM recompute_opinion_measures(batch);
        PERFORM recompute_referral_measures(batch);
        COMMIT;
    END LOOP;
    PERFORM rebuild_opinion_measures_sums();
END
$$;
