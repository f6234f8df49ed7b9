-- Three changes to the opinion report's measures.
--
-- 1. The opinion report read its measures through the heap, a page per row, and chose a scan of
--    the whole table for what was open at a moment: an open span still running had no end
--    (NULL), like every other kind, so the planner could not tell the few spans running past a
--    moment from the millions of rows that are not spans. A running span now ends at
--    'infinity' (other kinds keep NULL), and both reads are answered from an index alone.
--
-- 2. Recomputing an opinion's measures in the transaction that appended to its timeline cost
--    about a millisecond on every step, a third of a transition's database time. A step now only
--    notes the opinion; the measures are recomputed after it commits, by a background task on
--    every server and, for whatever is still noted, by a report before it reads them, so a
--    report never counts stale measures.
--
--    A note is a row of its own per statement (no unique key): a note written by a transaction
--    still running stays out of sight of a refresh until it commits, and is then taken by the
--    next one, never merged into a note a refresh has already taken.
--
-- 3. A `referred` measure carries the opinion's previous referral in `until_at`, so the number
--    of opinions referred in a period is a count of rows (those whose previous referral is
--    not in the period), which monthly sums can add up, instead of a count of distinct ids.

CREATE TABLE opinion_measures_stale (
    seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    opinion_id uuid NOT NULL
);

CREATE OR REPLACE FUNCTION opinion_events_refresh_measures() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO opinion_measures_stale (opinion_id) SELECT DISTINCT opinion_id FROM appended;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION opinions_refresh_measures() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO opinion_measures_stale (opinion_id) VALUES (NEW.id);
    RETURN NULL;
END
$$;

-- Takes up to `batch` committed notes and recomputes their opinions; answers how many notes
-- it took. Notes another refresh holds are skipped (`wait` false: the background task) or
-- waited for (`wait` true: a report, which must not read before they are done). Two refreshes
-- of one opinion take turns (`refresh_opinion_measures` locks each opinion it recomputes).
CREATE FUNCTION refresh_stale_opinion_measures(batch integer, wait boolean)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    taken uuid[];
    notes integer;
BEGIN
    IF wait THEN
        WITH claimed AS (
            DELETE FROM opinion_measures_stale s
            WHERE s.seq IN (SELECT seq FROM opinion_measures_stale ORDER BY seq LIMIT batch
                            FOR UPDATE)
            RETURNING s.opinion_id)
        SELECT array_agg(DISTINCT opinion_id), count(*) INTO taken, notes FROM claimed;
    ELSE
        WITH claimed AS (
            DELETE FROM opinion_measures_stale s
            WHERE s.seq IN (SELECT seq FROM opinion_measures_stale ORDER BY seq LIMIT batch
                            FOR UPDATE SKIP LOCKED)
            RETURNING s.opinion_id)
        SELECT array_agg(DISTINCT opinion_id), count(*) INTO taken, notes FROM claimed;
    END IF;
    IF notes = 0 THEN
        RETURN 0;
    END IF;
    PERFORM refresh_opinion_measures(taken);
    RETURN notes;
END
$$;

CREATE OR REPLACE FUNCTION refresh_opinion_measures(ids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
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
$$;
ALTER FUNCTION refresh_opinion_measures(uuid[]) SET plan_cache_mode = force_generic_plan;

-- Every opinion, a thousand at a time, each thousand committed on its own: its locks (one per
-- opinion) would not fit in one transaction. After a bulk load with triggers off:
-- CALL refresh_all_opinion_measures().
DROP FUNCTION refresh_all_opinion_measures();
CREATE PROCEDURE refresh_all_opinion_measures() LANGUAGE plpgsql AS $$
DECLARE
    batch uuid[];
BEGIN
    FOR batch IN
        SELECT array_agg(id) FROM (
            SELECT id, (row_number() OVER (ORDER BY id) - 1) / 1000 AS chunk FROM opinions
        ) numbered GROUP BY chunk
    LOOP
        PERFORM refresh_opinion_measures(batch);
        COMMIT;
    END LOOP;
END
$$;

UPDATE opinion_measures SET until_at = 'infinity' WHERE kind = 'open' AND until_at IS NULL;

-- What was open at a moment T: spans with at < T <= until_at, found from T onwards.
DROP INDEX opinion_measures_open_idx;
CREATE INDEX opinion_measures_open_idx ON opinion_measures (until_at)
    INCLUDE (at, due_at, opinion_id, committee_id, liaison_group_id, representative_id,
             constituency_id, category, source)
    WHERE kind = 'open';

-- The measures dated in a period, with everything a report groups by.
DROP INDEX opinion_measures_at_idx;
CREATE INDEX opinion_measures_at_idx ON opinion_measures (at)
    INCLUDE (kind, v, until_at, opinion_id, committee_id, liaison_group_id, representative_id,
             constituency_id, category, source)
    WHERE kind <> 'open';
