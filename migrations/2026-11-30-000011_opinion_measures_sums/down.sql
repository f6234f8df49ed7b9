DROP FUNCTION refresh_opinion_measures(uuid[]);
ALTER FUNCTION recompute_opinion_measures(uuid[]) RENAME TO refresh_opinion_measures;
CREATE OR REPLACE PROCEDURE refresh_all_opinion_measures() LANGUAGE plpgsql AS $$
DECLARE
    batch uuid[];
BEGIN
    FOR batch IN
        SELECT array_agg(id) FROM (
            SELECT id, (row_number() OVER (ORDER BY id) - 1) / 1000 AS chunk FROM opinions
        ) numbered GROUP BY chunk
    LOOP
        PERFORM refresh_opinion_measures(batch);
        COMMIT;
    END LOOP;
END
$$;
DROP FUNCTION rebuild_opinion_measures_sums();
DROP FUNCTION add_to_opinion_measures_sums(uuid[], integer);
DROP VIEW opinion_measures_by_grouping;
DROP FUNCTION histogram_add(jsonb, jsonb);
DROP FUNCTION duration_bucket(double precision);
DROP TABLE opinion_measures_sums;
DROP FUNCTION recompute_referral_measures(uuid[]);
DROP TABLE referral_measures;
DROP INDEX opinion_measures_open_idx;
CREATE INDEX opinion_measures_open_idx ON opinion_measures (until_at)
    INCLUDE (at, due_at, opinion_id, committee_id, liaison_group_id, representative_id,
             constituency_id, category, source)
    WHERE kind = 'open';
