-- Recomputing an opinion's measures in the transaction that appended to its timeline cost
-- about a millisecond on every step, a third of a transition's database time. A step now only
-- notes the opinion; the measures are recomputed after it commits, by a background task on
-- every server and, for whatever is still noted, by a report before it reads them, so a
-- report never counts stale measures.
--
-- A note is a row of its own per statement (no unique key): a note written by a transaction
-- still running stays out of sight of a refresh until it commits, and is then taken by the
-- next one, never merged into a note a refresh has already taken.
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
-- of one opinion take turns on an advisory lock per opinion, taken in order, so the second
-- recomputes from what the first wrote and never adds a second copy.
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
    PERFORM pg_advisory_xact_lock(hashtextextended(id::text, 7201))
    FROM unnest(taken) AS id ORDER BY hashtextextended(id::text, 7201);
    PERFORM refresh_opinion_measures(taken);
    RETURN notes;
END
$$;

-- Timelines written before this migration are already measured.
