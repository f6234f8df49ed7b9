-- The measures' one definition as migration 000016 wrote it.
CREATE OR REPLACE FUNCTION opinion_measures_of(ids uuid[]) RETURNS SETOF opinion_measures
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

-- The rebuild as migration 000011 wrote it.
CREATE OR REPLACE FUNCTION rebuild_opinion_measures_sums() RETURNS void LANGUAGE plpgsql AS $$
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

