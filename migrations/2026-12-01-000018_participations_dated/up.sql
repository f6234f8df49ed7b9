-- A participation carries its activity's start and kind, so a deputy's activities of a year
-- are read by deputy and date.
--
-- The obligations page read its deputies' attended activities of the year by joining every
-- participation they ever had (three years: 8,700 for a township's 30 deputies at district
-- scale) to the activities, and the only way to keep the year was the activities' own start:
-- the plan hashed a year of every town's activities (30,000 rows), 32 of the page's 38 ms in
-- the database. Now the participations of the year come from an index by deputy and start
-- (3,500; the kind keeps the year before to its pre-session consultations, which count for a
-- session early in the year), and each finds its activity in an index that holds what the page
-- reads of it, so the plan probes rather than hashes: 10–16 ms by hand.
--
-- The start and kind are the activity's, never set by hand: filled when a participation is
-- written, and changed with the activity.
ALTER TABLE activity_participants ADD COLUMN starts_at timestamptz, ADD COLUMN kind text;
-- The public schedule shows neither column: its trigger need not fire per row here.
ALTER TABLE activity_participants DISABLE TRIGGER activity_participants_public_schedule_changed;
UPDATE activity_participants p SET starts_at = a.starts_at, kind = a.kind
FROM activities a WHERE a.id = p.activity_id;
ALTER TABLE activity_participants ENABLE TRIGGER activity_participants_public_schedule_changed;
ALTER TABLE activity_participants ALTER COLUMN starts_at SET NOT NULL,
    ALTER COLUMN kind SET NOT NULL;

CREATE FUNCTION activity_participants_dated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT starts_at, kind INTO NEW.starts_at, NEW.kind FROM activities WHERE id = NEW.activity_id;
    RETURN NEW;
END
$$;
CREATE TRIGGER activity_participants_dated BEFORE INSERT OR UPDATE OF activity_id ON activity_participants
FOR EACH ROW EXECUTE FUNCTION activity_participants_dated();

CREATE FUNCTION activity_participants_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE activity_participants SET starts_at = NEW.starts_at, kind = NEW.kind
    WHERE activity_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER activity_participants_moved AFTER UPDATE OF starts_at, kind ON activities
FOR EACH ROW WHEN (OLD.starts_at IS DISTINCT FROM NEW.starts_at OR OLD.kind IS DISTINCT FROM NEW.kind)
EXECUTE FUNCTION activity_participants_moved();

CREATE INDEX activity_participants_attended_idx ON activity_participants (representative_id, starts_at)
    INCLUDE (activity_id, kind) WHERE attended;
CREATE INDEX activities_attendance_idx ON activities (id) INCLUDE (status, kind, starts_at);
