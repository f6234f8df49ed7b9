-- Back to refreshing measures and sums whole (migrations 000009, 000011 and 000013).

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

-- Each measure once per grouping and grain, with its period, key and duration bucket; a
-- referral's measures only per handling body, keyed by body and role.
CREATE OR REPLACE VIEW opinion_measures_by_grouping AS
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

DROP FUNCTION opinion_measure_sum_keys(opinion_measures);
DROP FUNCTION referral_measure_sum_keys(referral_measures);
DROP TYPE opinion_measures_sums_change;

CREATE OR REPLACE FUNCTION recompute_referral_measures(ids uuid[]) RETURNS void LANGUAGE sql AS $$
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

CREATE OR REPLACE FUNCTION recompute_opinion_measures(ids uuid[])
 RETURNS void
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_generic_plan'
AS $$
BEGIN
    -- Refreshes of one opinion take turns (locks taken in one order, so two refreshes never
    -- wait on each other): the second recomputes from what the first wrote instead of adding
    -- a second copy. Held to the end of the transaction.
    PERFORM pg_advisory_xact_lock(hashtextextended(id::text, 7201))
    FROM unnest(ids) AS id ORDER BY hashtextextended(id::text, 7201);
    DELETE FROM opinion_measures WHERE opinion_id = ANY (ids);
    INSERT INTO opinion_measures (opinion_id, kind, at, v, until_at, due_at, committee_id,
                                  liaison_group_id, representative_id, constituency_id,
                                  category, source)
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
END
$$
;

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

DROP FUNCTION opinion_measures_of(uuid[]);
DROP FUNCTION referral_measures_of(uuid[]);
