-- The public schedule is the same for every reader, so each server keeps the answers it has
-- built, stamped with this number. Every committed write to what the schedule shows raises
-- it; a server reads the number first (one small statement) and serves its copy only while
-- the number has not moved. A change committed through any replica is thus seen by the next
-- read on every replica, with nothing to broadcast.
CREATE TABLE public_schedule_generation (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    n        bigint NOT NULL
);
INSERT INTO public_schedule_generation (only_row, n) VALUES (true, 0);

CREATE FUNCTION public_schedule_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE public_schedule_generation SET n = n + 1;
    RETURN NULL;
END
$$;

-- Deferred to commit: the one row is locked last and only for the commit, so writers never
-- wait on it while holding other rows (no deadlock through it, little waiting).
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['activities', 'activity_participants', 'reception_rules',
                             'reception_rule_versions', 'liaison_groups', 'representatives']
    LOOP
        EXECUTE format(
            'CREATE CONSTRAINT TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I
                 DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
                 EXECUTE FUNCTION public_schedule_changed()',
            t || '_public_schedule_changed', t);
    END LOOP;
END
$$;
