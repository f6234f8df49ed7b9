DROP INDEX activities_external_ref_key;
ALTER TABLE activities DROP CONSTRAINT activities_external_ref_whole,
    DROP COLUMN external_fingerprint, DROP COLUMN external_id, DROP COLUMN external_system;
DROP INDEX opinions_external_ref_key;
ALTER TABLE opinions DROP CONSTRAINT opinions_external_ref_whole,
    DROP COLUMN external_fingerprint, DROP COLUMN external_id, DROP COLUMN external_system;
