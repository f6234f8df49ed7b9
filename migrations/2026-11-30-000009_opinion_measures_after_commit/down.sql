DROP FUNCTION refresh_stale_opinion_measures(integer, boolean);

DROP PROCEDURE refresh_all_opinion_measures();
CREATE FUNCTION refresh_all_opinion_measures() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    batch uuid[];
BEGIN
    FOR batch IN
        SELECT array_agg(id) FROM (
            SELECT id, (row_number() OVER (ORDER BY id) - 1) / 1000 AS chunk FROM opinions
        ) numbered GROUP BY chunk
    LOOP
        PERFORM refresh_opinion_measures(batch);
    END LOOP;
END
$$;
ALTER FUNCTION refresh_opinion_measures(uuid[]) SET plan_cache_mode = force_generic_plan;

CREATE OR REPLACE FUNCTION opinion_events_refresh_measures() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_opinion_measures(ARRAY(SELECT DISTINCT opinion_id FROM appended));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION opinions_refresh_measures() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_opinion_measures(ARRAY[NEW.id]);
    RETURN NULL;
END
$$;

SELECT refresh_opinion_measures(ARRAY(SELECT DISTINCT opinion_id FROM opinion_measures_stale));
DROP TABLE opinion_measures_stale;

CREATE OR REPLACE FUNCTION refresh_opinion_measures(ids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM opinion_measures WHERE opinion_id = ANY (ids);
    INSERT INTO opinion_measures (opinion_id, kind, at, v, until_at, due_at, committee_id,
                                  liaison_group_id, representative_id, constituency_id,
                                  category, source)
    WITH e AS (
        SELECT e.seq, e.opinion_id, e.action, e.to_state, e.round, e.at, e.payload,
               max(e.at) FILTER (WHERE e.action = 'refer') OVER round_so_far AS last_refer_at,
               max(e.at) FILTER (WHERE e.action = 'answer') OVER round_so_far AS last_answer_at,
               lead(e.at) OVER so_far AS next_at,
               array_agg(COALESCE(e.payload->>'due_at', e.payload->>'feed_back_due_at')::timestamptz)
                   FILTER (WHERE e.payload ? 'due_at' OR e.payload ? 'feed_back_due_at')
                   OVER so_far AS dues
        FROM opinion_events e
        WHERE e.opinion_id = ANY (ids)
        WINDOW round_so_far AS (PARTITION BY e.opinion_id, e.round ORDER BY e.seq),
               so_far AS (PARTITION BY e.opinion_id ORDER BY e.seq)
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
        SELECT e.opinion_id, e.at, 'referred',
               CASE WHEN e.seq = f.seq THEN EXTRACT(EPOCH FROM f.at - r.at) / 3600 END, NULL, NULL
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
        SELECT opinion_id, at, 'open', NULL, next_at, dues[cardinality(dues)]
        FROM e WHERE to_state NOT IN ('fed_back', 'declined')
    )
    SELECT m.opinion_id, m.kind, m.at, m.v, m.until_at, m.due_at, o.committee_id,
           o.liaison_group_id, o.representative_id, o.constituency_id, o.category, o.source
    FROM m JOIN opinions o ON o.id = m.opinion_id;
END
$$;
ALTER FUNCTION refresh_opinion_measures(uuid[]) SET plan_cache_mode = force_generic_plan;


UPDATE opinion_measures SET until_at = NULL WHERE kind = 'open' AND until_at = 'infinity';

DROP INDEX opinion_measures_open_idx;
CREATE INDEX opinion_measures_open_idx ON opinion_measures (COALESCE(until_at, 'infinity'))
    INCLUDE (at, due_at, opinion_id, committee_id, liaison_group_id, representative_id,
             constituency_id, category, source)
    WHERE kind = 'open';

DROP INDEX opinion_measures_at_idx;
CREATE INDEX opinion_measures_at_idx ON opinion_measures (at) WHERE kind <> 'open';
