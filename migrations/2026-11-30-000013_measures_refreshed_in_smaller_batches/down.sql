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

CREATE OR REPLACE FUNCTION refresh_opinion_measures(ids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- The opinions' turn first (as `recompute_opinion_measures` takes it, in one order): what
    -- is subtracted must be what this refresh replaces, not what another is writing.
    PERFORM pg_advisory_xact_lock(hashtextextended(id::text, 7201))
    FROM unnest(ids) AS id ORDER BY hashtextextended(id::text, 7201);
    PERFORM add_to_opinion_measures_sums(ids, -1);
    PERFORM recompute_opinion_measures(ids);
    PERFORM recompute_referral_measures(ids);
    PERFORM add_to_opinion_measures_sums(ids, 1);
END
$$;
ALTER FUNCTION refresh_opinion_measures(uuid[]) SET plan_cache_mode = force_generic_plan;

DROP FUNCTION recompute_opinion_measures_in_parts(uuid[]);
