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

-- What each handling body received, answered and held, per referral (lead and assisting
-- apart), as the report by handling body counts it: `received` when referred; `answered`,
-- `resolved` or `partly_resolved` with the days it took; a lead referral `open` from its
-- referral until answered or returned (a span, as in `opinion_measures`); the voter's rating
-- of a round, `satisfied` or `unsatisfied`, on its lead referral unless returned before it.
-- Recomputed with the opinion's own measures (`refresh_opinion_measures`).
CREATE TABLE referral_measures (
    opinion_id       uuid NOT NULL REFERENCES opinions (id) ON DELETE CASCADE,
    handling_body_id uuid NOT NULL,
    role             text NOT NULL,
    kind             text NOT NULL,
    at               timestamptz NOT NULL,
    v                double precision,
    until_at         timestamptz,
    due_at           timestamptz,
    committee_id     uuid NOT NULL
);
CREATE INDEX referral_measures_opinion_idx ON referral_measures (opinion_id);
CREATE INDEX referral_measures_at_idx ON referral_measures (at)
    INCLUDE (kind, v, handling_body_id, role, committee_id) WHERE kind <> 'open';
-- Open spans by the month they began, then their end (as `opinion_measures_open_idx`).
CREATE INDEX referral_measures_open_idx ON referral_measures
    ((date_trunc('month', at AT TIME ZONE 'Asia/Shanghai')), until_at)
    INCLUDE (at, due_at, handling_body_id, role, committee_id) WHERE kind = 'open';

CREATE FUNCTION recompute_referral_measures(ids uuid[]) RETURNS void LANGUAGE sql AS $$
    DELETE FROM referral_measures WHERE opinion_id = ANY (ids);
    INSERT INTO referral_measures (opinion_id, handling_body_id, role, kind, at, v, until_at,
                                   due_at, committee_id)
    SELECT r.opinion_id, r.handling_body_id, r.role, m.kind, m.at, m.v, m.until_at, m.due_at,
           o.committee_id
    FROM referrals r
    JOIN opinions o ON o.id = r.opinion_id
    CROSS JOIN LATERAL (
        SELECT 'received', r.referred_at, NULL::float8, NULL::timestamptz, NULL::timestamptz
        UNION ALL
        SELECT CASE r.outcome WHEN 'resolved' THEN 'resolved'
                    WHEN 'partly_resolved' THEN 'partly_resolved' ELSE 'answered' END,
               r.answered_at, EXTRACT(EPOCH FROM r.answered_at - r.referred_at) / 86400, NULL,
               NULL
        WHERE r.answered_at IS NOT NULL
        UNION ALL
        SELECT 'open', r.referred_at, NULL,
               COALESCE(least(r.answered_at, r.returned_at), 'infinity'), r.due_at
        WHERE r.role = 'lead'
        UNION ALL
        SELECT CASE WHEN e.payload->>'rating' IN ('satisfied', 'basically_satisfied')
                    THEN 'satisfied' ELSE 'unsatisfied' END, e.at, NULL, NULL, NULL
        FROM opinion_events e
        WHERE r.role = 'lead' AND e.opinion_id = r.opinion_id AND e.round = r.round
          AND e.action = 'rate' AND (r.returned_at IS NULL OR r.returned_at > e.at)
    ) AS m (kind, at, v, until_at, due_at)
    WHERE r.opinion_id = ANY (ids)
$$;

-- What was open at a moment T: the spans with at < T <= until_at. Ordered by their end alone,
-- a report ending a year back read every span that ended since (0.4 s at a million opinions);
-- ordered by the month they began, then their end, it reads each month's spans running past T
-- and no others.
DROP INDEX opinion_measures_open_idx;
CREATE INDEX opinion_measures_open_idx ON opinion_measures
    ((date_trunc('month', at AT TIME ZONE 'Asia/Shanghai')), until_at)
    INCLUDE (at, due_at, opinion_id, committee_id, liaison_group_id, representative_id,
             constituency_id, category, source)
    WHERE kind = 'open';

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

-- Each measure once per grouping and grain, with its period, key and duration bucket; a
-- referral's measures only per handling body, keyed by body and role.
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
WHERE m.kind <> 'open'
UNION ALL
SELECT m.opinion_id, 'handling_body', p.grain,
       date_trunc(p.grain, m.at AT TIME ZONE 'Asia/Shanghai')::date,
       m.committee_id, m.handling_body_id, m.role, m.kind, NULL::date, duration_bucket(m.v)
FROM referral_measures m
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
        PERFORM recompute_opinion_measures(batch);
        PERFORM recompute_referral_measures(batch);
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
SELECT recompute_referral_measures(ARRAY(SELECT id FROM opinions));
SELECT rebuild_opinion_measures_sums();
