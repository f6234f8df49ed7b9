-- Monthly and yearly sums of the opinion report's measures. A report over years read millions
-- of measures (6 s at a million opinions); it now reads each whole year and month in its period
-- as a few sums per row of the report, and only days at its ends from the measures themselves.
--
-- One row per (grouping, grain, period, committee, key, kind): `grain` 'month' or 'year', and
-- `period` its first day (Beijing time); the committee so a committee's staff read their
-- subtree; the key is what the report groups by (a committee, group, deputy or constituency
-- id, or a category or source code). A `referred` row also keeps the Beijing day of the
-- opinion's previous referral (`since`), so a period counts each opinion once. A measure with
-- a duration adds it to `hist`, {bucket: count}, buckets 2% wide (`duration_bucket`): medians
-- and 90th percentiles of long periods are read from these, to within 2% (the README's
-- definitions say when).
--
-- The sums move with the measures: `refresh_opinion_measures` subtracts an opinion's measures,
-- recomputes them and adds them again, under the opinion's lock, so two refreshes never count
-- it twice. Rows are written in key order, so two refreshes never wait on each other in a circle.
CREATE TABLE opinion_measures_sums (
    grouping     text NOT NULL,
    grain        text NOT NULL CHECK (grain IN ('month', 'year')),
    period       date NOT NULL,
    committee_id uuid NOT NULL,
    key_id       uuid,
    key_code     text,
    kind         text NOT NULL,
    since        date,
    n            bigint NOT NULL,
    hist         jsonb,
    CONSTRAINT opinion_measures_sums_key UNIQUE NULLS NOT DISTINCT
        (grouping, grain, period, committee_id, key_id, key_code, kind, since)
);

CREATE FUNCTION duration_bucket(v double precision) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN v < 0.01 THEN 0 ELSE 1 + floor(ln(v / 0.01) / ln(1.02))::integer END
$$;

CREATE FUNCTION histogram_add(a jsonb, b jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT jsonb_object_agg(bucket, n) FROM (
        SELECT bucket, sum(n::bigint) AS n
        FROM (SELECT * FROM jsonb_each_text(COALESCE(a, '{}'))
              UNION ALL
              SELECT * FROM jsonb_each_text(COALESCE(b, '{}'))) AS both_(bucket, n)
        GROUP BY bucket
        HAVING sum(n::bigint) <> 0
    ) AS summed
$$;

-- Each measure once per grouping and grain, with its period, key and duration bucket.
CREATE VIEW opinion_measures_by_grouping AS
SELECT m.opinion_id, g.grouping, p.grain,
       date_trunc(p.grain, m.at AT TIME ZONE 'Asia/Shanghai')::date AS period,
       m.committee_id, g.key_id, g.key_code, m.kind,
       (m.until_at AT TIME ZONE 'Asia/Shanghai')::date AS since,
       duration_bucket(m.v) AS bucket
FROM opinion_measures m
CROSS JOIN LATERAL (VALUES ('committee', m.committee_id, NULL::text),
                           ('liaison_group', m.liaison_group_id, NULL),
                           ('representative', m.representative_id, NULL),
                           ('constituency', m.constituency_id, NULL),
                           ('category', NULL::uuid, m.category),
                           ('source', NULL::uuid, m.source)) AS g (grouping, key_id, key_code)
CROSS JOIN (VALUES ('month'), ('year')) AS p (grain)
WHERE m.kind <> 'open';

-- Adds (sign 1) or subtracts (sign -1) the given opinions' current measures.
CREATE FUNCTION add_to_opinion_measures_sums(ids uuid[], sign integer) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO opinion_measures_sums AS t
        (grouping, grain, period, committee_id, key_id, key_code, kind, since, n, hist)
    SELECT grouping, grain, period, committee_id, key_id, key_code, kind, since, sign * sum(n),
           jsonb_object_agg(bucket, sign * n) FILTER (WHERE bucket IS NOT NULL)
    FROM (SELECT grouping, grain, period, committee_id, key_id, key_code, kind, since, bucket,
                 count(*) AS n
          FROM opinion_measures_by_grouping
          WHERE opinion_id = ANY (ids)
          GROUP BY grouping, grain, period, committee_id, key_id, key_code, kind, since, bucket
         ) AS per_bucket
    GROUP BY grouping, grain, period, committee_id, key_id, key_code, kind, since
    ORDER BY grouping, grain, period, committee_id, key_id, key_code, kind, since
    ON CONFLICT ON CONSTRAINT opinion_measures_sums_key
    DO UPDATE SET n = t.n + excluded.n, hist = histogram_add(t.hist, excluded.hist)
$$;

-- Every sum again from the measures (after a bulk load, and by `refresh_all_opinion_measures`).
-- TRUNCATE locks out refreshes and reports until it commits, so none is lost or counted twice.
CREATE FUNCTION rebuild_opinion_measures_sums() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE opinion_measures_sums;
    INSERT INTO opinion_measures_sums
        (grouping, grain, period, committee_id, key_id, key_code, kind, since, n, hist)
    SELECT grouping, grain, period, committee_id, key_id, key_code, kind, since, sum(n),
           jsonb_object_agg(bucket, n) FILTER (WHERE bucket IS NOT NULL)
    FROM (SELECT grouping, grain, period, committee_id, key_id, key_code, kind, since, bucket,
                 count(*) AS n
          FROM opinion_measures_by_grouping
          GROUP BY grouping, grain, period, committee_id, key_id, key_code, kind, since, bucket
         ) AS per_bucket
    GROUP BY grouping, grain, period, committee_id, key_id, key_code, kind, since;
END
$$;

-- The measures alone; `refresh_opinion_measures` keeps the sums with them.
ALTER FUNCTION refresh_opinion_measures(uuid[]) RENAME TO recompute_opinion_measures;

CREATE FUNCTION refresh_opinion_measures(ids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- The opinions' turn first (as `recompute_opinion_measures` takes it, in one order): what
    -- is subtracted must be what this refresh replaces, not what another is writing.
    PERFORM pg_advisory_xact_lock(hashtextextended(id::text, 7201))
    FROM unnest(ids) AS id ORDER BY hashtextextended(id::text, 7201);
    PERFORM add_to_opinion_measures_sums(ids, -1);
    PERFORM recompute_opinion_measures(ids);
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
        PERFORM recompute_opinion_measures(batch);
        COMMIT;
    END LOOP;
    PERFORM rebuild_opinion_measures_sums();
END
$$;

-- `referred` measures gained their previous referral (migration 000009). Set in one statement:
-- recomputing every opinion here would take a lock per opinion in one transaction.
UPDATE opinion_measures m SET until_at = p.prev_at
FROM (SELECT opinion_id, at,
             lag(at) OVER (PARTITION BY opinion_id ORDER BY at) AS prev_at
      FROM opinion_measures WHERE kind = 'referred') AS p
WHERE m.kind = 'referred' AND m.opinion_id = p.opinion_id AND m.at = p.at
  AND p.prev_at IS NOT NULL AND m.until_at IS DISTINCT FROM p.prev_at;
SELECT rebuild_opinion_measures_sums();
