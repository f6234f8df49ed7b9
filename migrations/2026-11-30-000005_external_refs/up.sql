-- External references: an importing system (the deputy activity service system) names the
-- record it is creating in its own terms, so a blind retry finds the first one instead of
-- making a second. `external_fingerprint` is the SHA-256 of the creating request, which tells a
-- retry (same request) from a different record claiming the same reference.
ALTER TABLE opinions
    ADD COLUMN external_system text,
    ADD COLUMN external_id text,
    ADD COLUMN external_fingerprint bytea,
    ADD CONSTRAINT opinions_external_ref_whole
        CHECK ((external_system IS NULL) = (external_id IS NULL));
CREATE UNIQUE INDEX opinions_external_ref_key ON opinions (external_system, external_id)
    WHERE external_system IS NOT NULL;

ALTER TABLE activities
    ADD COLUMN external_system text,
    ADD COLUMN external_id text,
    ADD COLUMN external_fingerprint bytea,
    ADD CONSTRAINT activities_external_ref_whole
        CHECK ((external_system IS NULL) = (external_id IS NULL));
CREATE UNIQUE INDEX activities_external_ref_key ON activities (external_system, external_id)
    WHERE external_system IS NOT NULL;
