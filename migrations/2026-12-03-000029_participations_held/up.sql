-- A participation carries whether its activity was held, as it carries its start and kind
-- (migration 000018), so a deputy's attended activities of a year are one range of one index.
--
-- The obligations page read them by joining each participation of the year to its activity
-- for the activity's status. With a township's 30 deputies at a thousand activities a year
-- each (the province data set), that is 35,000 probes; the planner hashed every activity
-- instead (a parallel scan of a million rows), 122 ms a page on average under load and
-- nearly all of the database's time for the page (bench/NOTES-province.md, obligations).
--
-- Copied like the start and kind: filled when a participation is written, and changed with
-- the activity. A participation is marked attended only when its activity is held (the hold
-- step does both), and a held activity stays held, but the copy does not rely on that.
ALTER TABLE activity_participants ADD COLUMN activity_held boolean NOT NULL DEFAULT false;
-- The public schedule shows no such column: its trigger need not fire per row here.
ALTER TABLE activity_participants DISABLE TRIGGER activity_participants_public_schedule_changed;
UPDATE activity_participants p SET activity_held = true
FROM activities a WHERE a.id = p.activity_id AND a.status = 'held';
ALTER TABLE activity_participants ENABLE TRIGGER activity_participants_public_schedule_changed;

CREATE OR REPLACE FUNCTION activity_participants_dated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT starts_at, kind, status = 'held' INTO NEW.starts_at, NEW.kind, NEW.activity_held
    FROM activities WHERE id = NEW.activity_id;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION activity_participants_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE activity_participants
    SET starts_at = NEW.starts_at, kind = NEW.kind, activity_held = NEW.status = 'held'
    WHERE activity_id = NEW.id;
    RETURN NULL;
END
$$;
DROP TRIGGER activity_participants_moved ON activities;
CREATE TRIGGER activity_participants_moved AFTER UPDATE OF starts_at, kind, status ON activities
FOR EACH ROW WHEN (OLD.starts_at IS DISTINCT FROM NEW.starts_at OR OLD.kind IS DISTINCT FROM NEW.kind
                   OR OLD.status IS DISTINCT FROM NEW.status)
EXECUTE FUNCTION activity_participants_moved();

DROP INDEX activity_participants_attended_idx;
CREATE INDEX activity_participants_attended_idx ON activity_participants (representative_id, starts_at)
    INCLUDE (activity_id, kind) WHERE attended AND activity_held;
-- It served only the probes this replaces.
DROP INDEX activities_attendance_idx;
