CREATE INDEX activities_attendance_idx ON activities (id) INCLUDE (status, kind, starts_at);
DROP INDEX activity_participants_attended_idx;
CREATE INDEX activity_participants_attended_idx ON activity_participants (representative_id, starts_at)
    INCLUDE (activity_id, kind) WHERE attended;

DROP TRIGGER activity_participants_moved ON activities;
CREATE OR REPLACE FUNCTION activity_participants_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE activity_participants SET starts_at = NEW.starts_at, kind = NEW.kind
    WHERE activity_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER activity_participants_moved AFTER UPDATE OF starts_at, kind ON activities
FOR EACH ROW WHEN (OLD.starts_at IS DISTINCT FROM NEW.starts_at OR OLD.kind IS DISTINCT FROM NEW.kind)
EXECUTE FUNCTION activity_participants_moved();
CREATE OR REPLACE FUNCTION activity_participants_dated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT starts_at, kind INTO NEW.starts_at, NEW.kind FROM activities WHERE id = NEW.activity_id;
    RETURN NEW;
END
$$;
ALTER TABLE activity_participants DROP COLUMN activity_held;
