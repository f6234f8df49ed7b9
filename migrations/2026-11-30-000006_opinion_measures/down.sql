DROP TRIGGER opinions_measures ON opinions;
DROP FUNCTION opinions_refresh_measures();
DROP TRIGGER opinion_events_measures ON opinion_events;
DROP FUNCTION opinion_events_refresh_measures();
DROP FUNCTION refresh_all_opinion_measures();
DROP FUNCTION refresh_opinion_measures(uuid[]);
DROP TABLE opinion_measures;
