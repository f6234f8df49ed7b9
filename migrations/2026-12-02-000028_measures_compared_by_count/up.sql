-- The refresh of the report's measures compares what an opinion's timeline gives with what
-- is kept by counting each measure on either side, where it numbered the copies of each
-- (`row_number() OVER (PARTITION BY measure)` on both sides, then grouped by measure and
-- copy): one sort of whole measures a part instead of three. The same rows come out; by hand
-- on the district data, 450 opinions with measures missing, doubled or stale, the
-- measures, referral measures and sums left byte for byte as the old function leaves them,
-- 42-46 -> 38-41 ms, and 28-29 -> 25-27 ms for the same opinions already current (the
-- after-commit refresh is about a quarter of the database's work a refer: bench/NOTES.md,
-- state transition).
CREATE OR REPLACE FUNCTION refresh_opinion_measures(ids uuid[])
 RETURNS void
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
DECLARE
    part uuid[];
    part_changes opinion_measures_sums_change[];
    changes opinion_measures_sums_change[] := '{}';
BEGIN
    -- Refreshes of one opinion take turns: the second compares with what the first wrote.
    PERFORM lock_opinion_measures(ids);
    -- Two hundred opinions at a time (migration 000013 says why).
    FOR part IN SELECT ids[i:i + 199] FROM generate_series(1, cardinality(ids), 200) AS i LOOP
        WITH changed AS (
            -- Each measure given (1) and each kept (-1), counted per measure: `n` more copies
            -- to insert, or -n of those kept (`row_ids`) to delete.
            SELECT m, n, row_ids
            FROM (SELECT m, sum(side) AS n,
                         array_agg(row_id) FILTER (WHERE row_id IS NOT NULL) AS row_ids
                  FROM (SELECT f AS m, 1 AS side, NULL::tid AS row_id
                        FROM opinion_measures_of(part) AS f
                        UNION ALL
                        SELECT k, -1, k.ctid
                        FROM opinion_measures AS k WHERE k.opinion_id = ANY (part)
                       ) AS both_sides
                  GROUP BY m) AS g
            WHERE n <> 0
        ),
        gone AS (
            DELETE FROM opinion_measures
            WHERE ctid = ANY (ARRAY(SELECT unnest(row_ids[1:(-n)::integer]) FROM changed WHERE n < 0))
        ),
        added AS (
            INSERT INTO opinion_measures
            SELECT (m).* FROM changed, generate_series(1, n) WHERE n > 0
        ),
        changed_referral AS (
            SELECT m, n, row_ids
            FROM (SELECT m, sum(side) AS n,
                         array_agg(row_id) FILTER (WHERE row_id IS NOT NULL) AS row_ids
                  FROM (SELECT f AS m, 1 AS side, NULL::tid AS row_id
                        FROM referral_measures_of(part) AS f
                        UNION ALL
                        SELECT k, -1, k.ctid
                        FROM referral_measures AS k WHERE k.opinion_id = ANY (part)
                       ) AS both_sides
                  GROUP BY m) AS g
            WHERE n <> 0
        ),
        gone_referral AS (
            DELETE FROM referral_measures
            WHERE ctid = ANY (ARRAY(SELECT unnest(row_ids[1:(-n)::integer]) FROM changed_referral WHERE n < 0))
        ),
        added_referral AS (
            INSERT INTO referral_measures
            SELECT (m).* FROM changed_referral, generate_series(1, n) WHERE n > 0
        )
        -- Summed here, per part: the changes of two hundred opinions fall on far fewer rows
        -- of sums than they make (a month's, a deputy's, a category's), and the array they
        -- are appended to is copied whole at every append.
        SELECT array_agg(c::opinion_measures_sums_change) INTO part_changes
        FROM (SELECT grouping, grain, period, committee_id, key_id, key_code, kind, since,
                     bucket, sum(n)::integer AS n
              FROM (SELECT s.*, c.n FROM changed c, opinion_measure_sum_keys(c.m) AS s
                    UNION ALL
                    SELECT s.*, c.n FROM changed_referral c, referral_measure_sum_keys(c.m) AS s
                   ) AS each_change
              GROUP BY grouping, grain, period, committee_id, key_id, key_code, kind, since,
                       bucket
              HAVING sum(n) <> 0
             ) AS c;
        changes := changes || COALESCE(part_changes, '{}');
    END LOOP;
    IF cardinality(changes) = 0 THEN
        RETURN;
    END IF;
    INSERT INTO opinion_measures_sums AS t
        (grouping, grain, period, committee_id, key_id, key_code, kind, since, n, hist)
    SELECT grouping, grain, period, committee_id, key_id, key_code, kind, since, sum(n),
           jsonb_object_agg(bucket, n) FILTER (WHERE bucket IS NOT NULL)
    FROM (SELECT grouping, grain, period, committee_id, key_id, key_code, kind, since, bucket,
                 sum(n) AS n
          FROM unnest(changes)
          GROUP BY grouping, grain, period, committee_id, key_id, key_code, kind, since, bucket
          HAVING sum(n) <> 0
         ) AS per_bucket
    GROUP BY grouping, grain, period, committee_id, key_id, key_code, kind, since
    ORDER BY grouping, grain, period, committee_id, key_id, key_code, kind, since
    ON CONFLICT ON CONSTRAINT opinion_measures_sums_key
    DO UPDATE SET n = t.n + excluded.n, hist = histogram_add(t.hist, excluded.hist);
END
$function$;
