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
            -- Each measure given and each kept, numbered among its equals: those on one side
            -- only are what changed (`side` 1 to insert, -1 to delete).
            SELECT m, sum(side) AS side, max(row_id) AS row_id
            FROM (SELECT f AS m, row_number() OVER (PARTITION BY f) AS copy, 1 AS side,
                         NULL::tid AS row_id
                  FROM opinion_measures_of(part) AS f
                  UNION ALL
                  SELECT k, row_number() OVER (PARTITION BY k), -1, k.ctid
                  FROM opinion_measures AS k WHERE k.opinion_id = ANY (part)
                 ) AS both_sides
            GROUP BY m, copy
            HAVING sum(side) <> 0
        ),
        gone AS (
            DELETE FROM opinion_measures
            WHERE ctid = ANY (ARRAY(SELECT row_id FROM changed WHERE side < 0))
        ),
        added AS (
            INSERT INTO opinion_measures SELECT (m).* FROM changed WHERE side > 0
        ),
        changed_referral AS (
            SELECT m, sum(side) AS side, max(row_id) AS row_id
            FROM (SELECT f AS m, row_number() OVER (PARTITION BY f) AS copy, 1 AS side,
                         NULL::tid AS row_id
                  FROM referral_measures_of(part) AS f
                  UNION ALL
                  SELECT k, row_number() OVER (PARTITION BY k), -1, k.ctid
                  FROM referral_measures AS k WHERE k.opinion_id = ANY (part)
                 ) AS both_sides
            GROUP BY m, copy
            HAVING sum(side) <> 0
        ),
        gone_referral AS (
            DELETE FROM referral_measures
            WHERE ctid = ANY (ARRAY(SELECT row_id FROM changed_referral WHERE side < 0))
        ),
        added_referral AS (
            INSERT INTO referral_measures SELECT (m).* FROM changed_referral WHERE side > 0
        )
        -- Summed here, per part: the changes of two hundred opinions fall on far fewer rows
        -- of sums than they make (a month's, a deputy's, a category's), and the array they
        -- are appended to is copied whole at every append.
        SELECT array_agg(c::opinion_measures_sums_change) INTO part_changes
        FROM (SELECT grouping, grain, period, committee_id, key_id, key_code, kind, since,
                     bucket, sum(side)::integer AS n
              FROM (SELECT s.*, c.side FROM changed c, opinion_measure_sum_keys(c.m) AS s
                    UNION ALL
                    SELECT s.*, c.side FROM changed_referral c, referral_measure_sum_keys(c.m) AS s
                   ) AS each_change
              GROUP BY grouping, grain, period, committee_id, key_id, key_code, kind, since,
                       bucket
              HAVING sum(side) <> 0
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
