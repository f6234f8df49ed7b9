-- An opinion's measures are computed in one pass over its timeline.
--
-- The definition joined the timeline to three of its own parts (the receipt, the first step,
-- the first referral) by opinion. Those parts are CTEs, which the planner reckons at a few
-- rows, so it joined them in nested loops: every refer compared with every first referral and
-- every receipt of the batch, quadratic in the opinions refreshed together. Two hundred
-- opinions took about 60 ms to refresh unchanged, a thousand 250 ms to compute, and the bulk
-- refresh was four fifths of the benchmark's generation. Each part is now a window over the
-- opinion's events, read in the same pass (`whole`: the timeline at once; `same_action_in_time`:
-- the first of each action, by time then sequence, as the first referral was taken), so the
-- work grows with the events, whatever the plan: 36 ms and 80 ms. What it gives is unchanged
-- (checked row for row against the old definition over 200,000 generated opinions). An opinion
-- has one receipt: it is the event that creates it.
--
-- The opinions are read by the ids too, not only through the measures: the bulk path's plan for
-- each thousand ids merged the measures with the opinions' primary key read from its start, so
-- each batch read every opinion before its own.
CREATE OR REPLACE FUNCTION opinion_measures_of(ids uuid[]) RETURNS SETOF opinion_measures
LANGUAGE sql STABLE AS $$
    WITH e AS (
        SELECT e.seq, e.opinion_id, e.action, e.to_state, e.at, e.payload,
               max(e.at) FILTER (WHERE e.action = 'refer') OVER round_so_far AS last_refer_at,
               max(e.at) FILTER (WHERE e.action = 'answer') OVER round_so_far AS last_answer_at,
               lead(e.at) OVER so_far AS next_at,
               max(e.at) FILTER (WHERE e.action = 'refer') OVER before AS prev_refer_at,
               array_agg(COALESCE(e.payload->>'due_at', e.payload->>'feed_back_due_at')::timestamptz)
                   FILTER (WHERE e.payload ? 'due_at' OR e.payload ? 'feed_back_due_at')
                   OVER so_far AS dues,
               max(e.at) FILTER (WHERE e.action = 'receive') OVER whole AS received_at,
               min(e.at) FILTER (WHERE e.action IN ('refer', 'answer', 'decline')) OVER whole
                   AS first_step_at,
               first_value(e.seq) OVER same_action_in_time AS first_of_action
        FROM opinion_events e
        WHERE e.opinion_id = ANY (ids)
        WINDOW round_so_far AS (PARTITION BY e.opinion_id, e.round ORDER BY e.seq),
               so_far AS (PARTITION BY e.opinion_id ORDER BY e.seq),
               before AS (PARTITION BY e.opinion_id ORDER BY e.seq
                          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
               whole AS (PARTITION BY e.opinion_id),
               same_action_in_time AS (PARTITION BY e.opinion_id, e.action ORDER BY e.at, e.seq)
    ),
    m (opinion_id, at, kind, v, until_at, due_at) AS (
        SELECT opinion_id, at, 'received', NULL::float8, NULL::timestamptz, NULL::timestamptz
        FROM e WHERE action = 'receive'
        UNION ALL
        -- `until_at`: the opinion's referral before this one, so a period counts each
        -- opinion once (its first referral in the period is the one whose previous is not).
        SELECT opinion_id, at, 'referred',
               CASE WHEN seq = first_of_action THEN EXTRACT(EPOCH FROM at - received_at) / 3600 END,
               prev_refer_at, NULL
        FROM e WHERE action = 'refer'
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
        SELECT opinion_id, due,
               CASE WHEN first_step_at <= due THEN 'responded' ELSE 'late' END, NULL, NULL, NULL
        FROM (SELECT opinion_id, (payload->>'due_at')::timestamptz AS due, first_step_at
              FROM e WHERE action = 'receive') AS r
        WHERE due IS NOT NULL
        UNION ALL
        SELECT opinion_id, at, 'open', NULL, COALESCE(next_at, 'infinity'), dues[cardinality(dues)]
        FROM e WHERE to_state NOT IN ('fed_back', 'declined')
    )
    SELECT m.opinion_id, m.kind, m.at, m.v, m.until_at, m.due_at, o.committee_id,
           o.liaison_group_id, o.representative_id, o.constituency_id, o.category, o.source
    FROM m JOIN opinions o ON o.id = m.opinion_id
    WHERE o.id = ANY (ids);
$$;

-- Every sum again from the measures, with measures alike counted once, n times: alike in each
-- key `opinion_measure_sum_keys` reads and in what it makes of the moment, the duration and
-- the end (Beijing month, bucket, day), so any one of them gives the rows of sums all of them
-- count in. A tenth as many rows go through the sum keys: at a million opinions each measure
-- went through them alone, twelve rows each, and the rebuild took about two minutes.
-- Whatever `opinion_measure_sum_keys` comes to read must be grouped by here too; the tests
-- compare a rebuild with the sums the refreshes keep.
CREATE OR REPLACE FUNCTION rebuild_opinion_measures_sums() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE opinion_measures_sums;
    INSERT INTO opinion_measures_sums
        (grouping, grain, period, committee_id, key_id, key_code, kind, since, n, hist)
    SELECT grouping, grain, period, committee_id, key_id, key_code, kind, since, sum(n),
           jsonb_object_agg(bucket, n) FILTER (WHERE bucket IS NOT NULL)
    FROM (SELECT k.grouping, k.grain, k.period, k.committee_id, k.key_id, k.key_code, k.kind,
                 k.since, k.bucket, sum(alike.n) AS n
          FROM (SELECT ROW(NULL, kind, min(at), min(v), min(until_at), NULL, committee_id,
                           liaison_group_id, representative_id, constituency_id, category,
                           source)::opinion_measures AS m,
                       count(*) AS n
                FROM opinion_measures
                WHERE kind <> 'open'
                GROUP BY kind, date_trunc('month', at AT TIME ZONE 'Asia/Shanghai'),
                         duration_bucket(v), (until_at AT TIME ZONE 'Asia/Shanghai')::date,
                         committee_id, liaison_group_id, representative_id, constituency_id,
                         category, source
               ) AS alike
          CROSS JOIN LATERAL opinion_measure_sum_keys(alike.m) AS k
          GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
          UNION ALL
          SELECT k.grouping, k.grain, k.period, k.committee_id, k.key_id, k.key_code, k.kind,
                 k.since, k.bucket, sum(alike.n)
          FROM (SELECT ROW(NULL, handling_body_id, role, kind, min(at), min(v), NULL,
                           NULL, committee_id)::referral_measures AS m,
                       count(*) AS n
                FROM referral_measures
                WHERE kind <> 'open'
                GROUP BY handling_body_id, role, kind,
                         date_trunc('month', at AT TIME ZONE 'Asia/Shanghai'),
                         duration_bucket(v), committee_id
               ) AS alike
          CROSS JOIN LATERAL referral_measure_sum_keys(alike.m) AS k
          GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
         ) AS per_bucket
    GROUP BY grouping, grain, period, committee_id, key_id, key_code, kind, since;
END
$$;
