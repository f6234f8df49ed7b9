DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['activities', 'activity_participants', 'reception_rules',
                             'reception_rule_versions', 'liaison_groups', 'representatives']
    LOOP
        EXECUTE format('DROP TRIGGER %I ON %I', t || '_public_schedule_changed', t);
    END LOOP;
END
$$;
DROP FUNCTION public_schedule_changed();
DROP TABLE public_schedule_generation;
