-- Received opinions to refer, each with its receive event: for pgbench_refer_opinion.sql
-- (psql variables `town`, their committee, not the API scenarios', and `count`), and for the
-- API's refer scenario (also `subjects`, the table that lists them, and `deputy`, whose
-- duty record the run does not measure). Loaded as the
-- generator loads (triggers off, the rows consistent), so they get no report measures: most
-- are never referred, and their measures, all dated today, would have made the reports'
-- reading of this month several times longer. A refer's refresh after commit computes the
-- referred one's measures whole.
\set ON_ERROR_STOP on
\if :{?subjects}
\else
\set subjects bench_refer_subjects
\endif
BEGIN;
SET LOCAL session_replication_role = replica;
CREATE TABLE :"subjects" AS
SELECT n, uuid_generate_v7() AS id
FROM generate_series(1, :count) n;
ALTER TABLE :"subjects" ADD PRIMARY KEY (n);
INSERT INTO opinions (id, committee_id, constituency_id, liaison_group_id, representative_id,
                      title, content, category, source, urgent, public_consent, received_at,
                      current_due_at)
SELECT s.id, :'town', r.constituency_id, r.liaison_group_id, r.id, '基准压测 pgbench 待转交',
       '路灯坏了', 'urban_management', 'reception', false, false, now(), now() + interval '7 days'
FROM :"subjects" s,
     (SELECT r.* FROM representatives r JOIN constituencies c ON c.id = r.constituency_id
       WHERE c.committee_id = :'town'
\if :{?deputy}
         AND r.id = :'deputy'
\endif
       ORDER BY r.id LIMIT 1) r;
INSERT INTO opinion_search_texts (opinion_id, title, content)
SELECT id, title, content FROM opinions WHERE id IN (SELECT id FROM :"subjects");
INSERT INTO opinion_events (id, opinion_id, action, to_state, round, actor_role, at, payload,
                            internal)
SELECT uuid_generate_v7(), id, 'receive', 'received', 1, 'committee_staff', now(),
       jsonb_build_object('due_at', now() + interval '7 days', 'source', 'reception',
                          'urgent', false), false
FROM :"subjects";
COMMIT;
VACUUM ANALYZE :"subjects";
