DROP FUNCTION refresh_stale_opinion_measures(integer, boolean);

CREATE OR REPLACE FUNCTION opinion_events_refresh_measures() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_opinion_measures(ARRAY(SELECT DISTINCT opinion_id FROM appended));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION opinions_refresh_measures() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_opinion_measures(ARRAY[NEW.id]);
    RETURN NULL;
END
$$;

SELECT refresh_opinion_measures(ARRAY(SELECT DISTINCT opinion_id FROM opinion_measures_stale));
DROP TABLE opinion_measures_stale;
