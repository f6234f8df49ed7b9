-- An opinion's measures are recomputed two hundred opinions at a time, however many a refresh
-- is given. The recompute keeps one generic plan (most refreshes take a few opinions), which
-- reckons on a few dozen events and joins its parts in nested loops: given a thousand
-- opinions (the after-commit refresh takes up to a thousand notes, a report catching up ten
-- thousand, a bulk refresh a thousand a batch) those loops compared about two million rows,
-- more than the real work. On the district data set, 40,000 opinions (the report's indexes
-- dropped, as after a bulk load) took 15.6 s a thousand at a time, 8.8 s two hundred at a time
-- and 10.5 s a hundred at a time; a thousand with every index in place 3.1 s whole, 2.7 s in
-- parts (there the inserts' index upkeep is most of the work).
CREATE FUNCTION recompute_opinion_measures_in_parts(ids uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    part uuid[];
BEGIN
    -- Every opinion's turn first, in one order (each part would take only its own): two
    -- refreshes of overlapping opinions never wait on each other in a circle.
    PERFORM pg_advisory_xact_lock(hashtextextended(id::text, 7201))
    FROM unnest(ids) AS id ORDER BY hashtextextended(id::text, 7201);
    FOR part IN SELECT ids[i:i + 199] FROM generate_series(1, cardinality(ids), 200) AS i LOOP
        PERFORM recompute_opinion_measures(part);
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION refresh_opinion_measures(ids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- The opinions' turn first (as `recompute_opinion_measures` takes it, in one order): what
    -- is subtracted must be what this refresh replaces, not what another is writing.
    PERFORM pg_advisory_xact_lock(hashtextextended(id::text, 7201))
    FROM unnest(ids) AS id ORDER BY hashtextextended(id::text, 7201);
    PERFORM add_to_opinion_measures_sums(ids, -1);
    PERFORM recompute_opinion_measures_in_parts(ids);
    PERFORM recompute_referral_measures(ids);
    PERFORM add_to_opinion_measures_sums(ids, 1);
END
$$;
ALTER FUNCTION refresh_opinion_measures(uuid[]) SET plan_cache_mode = force_generic_plan;

CREATE OR REPLACE PROCEDURE refresh_all_opinion_measures() LANGUAGE plpgsql AS $$
DECLARE
    batch uuid[];
BEGIN
    FOR batch IN
        SELECT array_agg(id) FROM (
            SELECT id, (row_number() OVER (ORDER BY id) - 1) / 1000 AS chunk FROM opinions
        ) numbered GROUP BY chunk
    LOOP
        PERFORM recompute_opinion_measures_in_parts(batch);
        PERFORM recompute_referral_measures(batch);
        COMMIT;
    END LOOP;
    PERFORM rebuild_opinion_measures_sums();
END
$$;
