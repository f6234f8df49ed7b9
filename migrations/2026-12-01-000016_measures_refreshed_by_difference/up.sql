-- An opinion's measures and the report's sums are now refreshed by their difference.
--
-- A refresh subtracted all of an opinion's measures from the sums, deleted and recomputed its
-- measures, and added them all again: a refer, which adds one measure or two, rewrote every
-- measure of the opinion (each with its indexes and its foreign key check) and about a hundred
-- rows of sums (each merging two histograms): 0.65 ms a refer under load (wall time), the
-- longest part of a step. Now the measures are computed as before, compared with
-- those kept, and only those that changed are deleted or inserted; the sums take only what
-- those changes add and take away, in one statement per refresh, in key order, so two
-- refreshes never wait on each other in a circle.
--
-- A row of measures has no key: two equal rows are two measures (they are numbered, `copy`,
-- so a second equal measure is not taken for the first). Composite values compare NULL fields
-- as equal, which is what is meant here.

-- The measures an opinion's timeline gives (what `recompute_opinion_measures` wrote): their one
-- definition, for the refresh and for the bulk path.
CREATE FUNCTION opinion_measures_of(ids uuid[]) RETURNS SETOF opinion_measures
LANGUAGE sql STABLE AS $$
    WITH e AS (
        SELECT e.seq, e.opinion_id, e.action, e.to_state, e.round, e.at, e.payload,
               max(e.at) FILTER (WHERE e.action = 'refer') OVER round_so_far AS last_refer_at,
               max(e.at) FILTER (WHERE e.action = 'answer') OVER round_so_far AS last_answer_at,
               lead(e.at) OVER so_far AS next_at,
               max(e.at) FILTER (WHERE e.action = 'refer') OVER before AS prev_refer_at,
               array_agg(COALESCE(e.payload->>'due_at', e.payload->>'feed_back_due_at')::timestamptz)
                   FILTER (WHERE e.payload ? 'due_at' OR e.payload ? 'feed_back_due_at')
                   OVER so_far AS dues
        FROM opinion_events e
        WHERE e.opinion_id = ANY (ids)
        WINDOW round_so_far AS (PARTITION BY e.opinion_id, e.round ORDER BY e.seq),
               so_far AS (PARTITION BY e.opinion_id ORDER BY e.seq),
               before AS (PARTITION BY e.opinion_id ORDER BY e.seq
                          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
    ),
    recv AS (
        SELECT opinion_id, at, (payload->>'due_at')::timestamptz AS due
        FROM e WHERE action = 'receive'
    ),
    first_step AS (
        SELECT opinion_id, min(at) AS at FROM e
        WHERE action IN ('refer', 'answer', 'decline') GROUP BY opinion_id
    ),
    first_refer AS (
        SELECT DISTINCT ON (opinion_id) opinion_id, seq, at
        FROM e WHERE action = 'refer' ORDER BY opinion_id, at, seq
    ),
    m (opinion_id, at, kind, v, until_at, due_at) AS (
        SELECT opinion_id, at, 'received', NULL::float8, NULL::timestamptz, NULL::timestamptz
        FROM recv
        UNION ALL
        -- `until_at`: the opinion's referral before this one, so a period counts each
        -- opinion once (its first referral in the period is the one whose previous is not).
        SELECT e.opinion_id, e.at, 'referred',
               CASE WHEN e.seq = f.seq THEN EXTRACT(EPOCH FROM f.at - r.at) / 3600 END,
               e.prev_refer_at, NULL
        FROM e LEFT JOIN first_refer f USING (opinion_id) LEFT JOIN recv r USING (opinion_id)
        WHERE e.action = 'refer'
        UNION ALL
        SELECT opinion_id, at,
               CASE payload->>'outcome' WHEN 'resolved' THEN 'resolved'
                    WHEN 'partly_resolved' THEN 'partly_resolved' ELSE 'answered' END,
               EXTRACT(EPOCH FROM at - last_refer_at) / 86400, NULL, NULL
        FROM e WHERE action = 'answer'
        UNION ALL
        SELECT opinion_id, at, 'fed_back',
               CASE WHEN action = 'feed_back'
                    THEN EXTRACT(EPOCH FROM at - last_answer_at) / 86400 END,
               NULL, NULL
        FROM e
        WHERE to_state = 'fed_back' AND action IN ('feed_back', 'answer')
        UNION ALL
        SELECT opinion_id, at, 'declined', NULL, NULL, NULL FROM e WHERE action = 'decline'
        UNION ALL
        SELECT opinion_id, at,
               CASE WHEN payload->>'rating' IN ('satisfied', 'basically_satisfied')
                    THEN 'satisfied' ELSE 'unsatisfied' END,
               NULL, NULL, NULL
        FROM e WHERE action = 'rate'
        UNION ALL
        -- Dated at the deadline, so whether the step came in time is settled by then.
        SELECT r.opinion_id, r.due,
               CASE WHEN f.at <= r.due THEN 'responded' ELSE 'late' END, NULL, NULL, NULL
        FROM recv r LEFT JOIN first_step f USING (opinion_id)
        WHERE r.due IS NOT NULL
        UNION ALL
        SELECT opinion_id, at, 'open', NULL, COALESCE(next_at, 'infinity'), dues[cardinality(dues)]
        FROM e WHERE to_state NOT IN ('fed_back', 'declined')
    )
    SELECT m.opinion_id, m.kind, m.at, m.v, m.until_at, m.due_at, o.committee_id,
           o.liaison_group_id, o.representative_id, o.constituency_id, o.category, o.source
    FROM m JOIN opinions o ON o.id = m.opinion_id;
$$;

-- What each referral of the opinions gives (what `recompute_referral_measures` wrote).
CREATE FUNCTION referral_measures_of(ids uuid[]) RETURNS SETOF referral_measures
LANGUAGE sql STABLE AS $$
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

-- The bulk path (after a load with triggers off) rewrites every opinion's measures whole, a
-- thousand opinions a transaction (a lock each: more would not fit in the lock table), and
-- rebuilds the sums. Each batch is planned for its own thousand ids (`EXECUTE`): the generic
-- plan reckons on a few dozen events and joins the timeline's parts in nested loops, which is
-- why batches went two hundred at a time (migration 000013); a plan for the batch hashes
-- them, a quarter faster, and needs no parts.
CREATE OR REPLACE PROCEDURE refresh_all_opinion_measures() LANGUAGE plpgsql AS $$
DECLARE
    batch uuid[];
BEGIN
    FOR batch IN
        SELECT array_agg(id) FROM (
            SELECT id, (row_number() OVER (ORDER BY id) - 1) / 1000 AS chunk FROM opinions
        ) numbered GROUP BY chunk
    LOOP
        PERFORM pg_advisory_xact_lock(hashtextextended(id::text, 7201))
        FROM unnest(batch) AS id ORDER BY hashtextextended(id::text, 7201);
        DELETE FROM opinion_measures WHERE opinion_id = ANY (batch);
        EXECUTE 'INSERT INTO opinion_measures SELECT * FROM opinion_measures_of($1)' USING batch;
        DELETE FROM referral_measures WHERE opinion_id = ANY (batch);
        EXECUTE 'INSERT INTO referral_measures SELECT * FROM referral_measures_of($1)'
            USING batch;
        COMMIT;
    END LOOP;
    PERFORM rebuild_opinion_measures_sums();
END
$$;
DROP FUNCTION recompute_opinion_measures_in_parts(uuid[]);
DROP FUNCTION recompute_opinion_measures(uuid[]);
DROP FUNCTION recompute_referral_measures(uuid[]);

-- The rows of sums one measure counts in: each grouping and grain, with its period, key and
-- duration bucket (open spans are counted from the measures, never summed).
CREATE FUNCTION opinion_measure_sum_keys(m opinion_measures)
RETURNS TABLE ("grouping" text, grain text, period date, committee_id uuid, key_id uuid,
               key_code text, kind text, since date, bucket integer)
LANGUAGE sql IMMUTABLE AS $$
    SELECT g.grouping, p.grain, date_trunc(p.grain, (m).at AT TIME ZONE 'Asia/Shanghai')::date,
           (m).committee_id, g.key_id, g.key_code, (m).kind,
           ((m).until_at AT TIME ZONE 'Asia/Shanghai')::date, duration_bucket((m).v)
    FROM (VALUES ('committee', (m).committee_id, NULL::text),
                 ('liaison_group', (m).liaison_group_id, NULL),
                 ('representative', (m).representative_id, NULL),
                 ('constituency', (m).constituency_id, NULL),
                 ('category', NULL::uuid, (m).category),
                 ('source', NULL::uuid, (m).source)) AS g (grouping, key_id, key_code)
    CROSS JOIN (VALUES ('month'), ('year')) AS p (grain)
    WHERE (m).kind <> 'open'
$$;

-- A referral's measures count only per handling body, keyed by body and role.
CREATE FUNCTION referral_measure_sum_keys(m referral_measures)
RETURNS TABLE ("grouping" text, grain text, period date, committee_id uuid, key_id uuid,
               key_code text, kind text, since date, bucket integer)
LANGUAGE sql IMMUTABLE AS $$
    SELECT 'handling_body', p.grain,
           date_trunc(p.grain, (m).at AT TIME ZONE 'Asia/Shanghai')::date, (m).committee_id,
           (m).handling_body_id, (m).role, (m).kind, NULL::date, duration_bucket((m).v)
    FROM (VALUES ('month'), ('year')) AS p (grain)
    WHERE (m).kind <> 'open'
$$;

CREATE OR REPLACE VIEW opinion_measures_by_grouping AS
SELECT m.opinion_id, k.grouping, k.grain, k.period, k.committee_id, k.key_id, k.key_code,
       k.kind, k.since, k.bucket
FROM opinion_measures m CROSS JOIN LATERAL opinion_measure_sum_keys(m) AS k
UNION ALL
SELECT m.opinion_id, k.grouping, k.grain, k.period, k.committee_id, k.key_id, k.key_code,
       k.kind, k.since, k.bucket
FROM referral_measures m CROSS JOIN LATERAL referral_measure_sum_keys(m) AS k;

-- One row of sums a refresh adds to (n 1) or takes from (n -1).
CREATE TYPE opinion_measures_sums_change AS (
    grouping text, grain text, period date, committee_id uuid, key_id uuid, key_code text,
    kind text, since date, bucket integer, n integer
);

CREATE OR REPLACE FUNCTION refresh_opinion_measures(ids uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    part uuid[];
    part_changes opinion_measures_sums_change[];
    changes opinion_measures_sums_change[] := '{}';
BEGIN
    -- Refreshes of one opinion take turns (locks taken in one order, so two refreshes never
    -- wait on each other): the second compares with what the first wrote.
    PERFORM pg_advisory_xact_lock(hashtextextended(id::text, 7201))
    FROM unnest(ids) AS id ORDER BY hashtextextended(id::text, 7201);
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
        SELECT array_agg(c::opinion_measures_sums_change) INTO part_changes
        FROM (SELECT s.*, c.side FROM changed c, opinion_measure_sum_keys(c.m) AS s
              UNION ALL
              SELECT s.*, c.side FROM changed_referral c, referral_measure_sum_keys(c.m) AS s
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
$$;
ALTER FUNCTION refresh_opinion_measures(uuid[]) SET plan_cache_mode = force_generic_plan;

-- The sums are kept by difference now.
DROP FUNCTION add_to_opinion_measures_sums(uuid[], integer);
