DROP INDEX activities_attendance_idx;
DROP INDEX activity_participants_attended_idx;
DROP TRIGGER activity_participants_moved ON activities;
DROP FUNCTION activity_participants_moved();
DROP TRIGGER activity_participants_dated ON activity_participants;
DROP FUNCTION activity_participants_dated();
ALTER TABLE activity_participants DROP COLUMN starts_at, DROP COLUMN kind;
