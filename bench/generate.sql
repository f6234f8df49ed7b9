-- The benchmark's data set, set-based and deterministic (setseed). Run with psql variables:
--   opinions, voters, activities (district: 1000000, 500000, 100000).
-- One Standing Committee, 3 working committees and 20 townships; 10 homes and stations and 5
-- constituencies per township; 3 deputies per station; 50 handling bodies. Opinions spread over
-- three years in a realistic mix of states, each with its timeline and referrals. Triggers are
-- off while loading (session_replication_role = replica): the rows are written consistent.
-- `measures` (on unless set off) decides whether the report measures are built: province
-- scale runs without them, for want of disk (bench/NOTES.md).
\set ON_ERROR_STOP on
\if :{?measures}
\else
\set measures on
\endif
SET session_replication_role = replica;
SET maintenance_work_mem = '1GB';
-- The measures' bulk refresh sorts and hashes in memory rather than on disk.
SET work_mem = '256MB';
-- The measures' refresh commits every batch; a lost tail after a crash would be regenerated.
SET synchronous_commit = off;
SELECT setseed(0.42);
-- Runs each statement given (the indexes dropped before a load and built after it).
CREATE FUNCTION pg_temp.execute_each(statements text[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE s text;
BEGIN
    FOREACH s IN ARRAY COALESCE(statements, '{}') LOOP
        EXECUTE s;
    END LOOP;
END
$$;

CREATE TEMP TABLE t_town AS
SELECT i, ('0190f5a0-0000-7000-8000-' || lpad(to_hex(1000 + i), 12, '0'))::uuid AS id
FROM generate_series(1, 20) i;

INSERT INTO committees (id, name, kind, parent_id, ancestors)
VALUES ('0190f5a0-0000-7000-8000-000000000b01', '基准区人大常委会', 'standing_committee', NULL,
        ARRAY['0190f5a0-0000-7000-8000-000000000b01']::uuid[]);
INSERT INTO committees (id, name, kind, parent_id, ancestors)
SELECT ('0190f5a0-0000-7000-8000-' || lpad(to_hex(2000 + i), 12, '0'))::uuid,
       '工作委员会 ' || i, 'working_committee', '0190f5a0-0000-7000-8000-000000000b01',
       ARRAY['0190f5a0-0000-7000-8000-000000000b01'::uuid,
             ('0190f5a0-0000-7000-8000-' || lpad(to_hex(2000 + i), 12, '0'))::uuid]
FROM generate_series(1, 3) i;
INSERT INTO committees (id, name, kind, parent_id, ancestors)
SELECT id, '街道人大工委 ' || i, 'township', '0190f5a0-0000-7000-8000-000000000b01',
       ARRAY['0190f5a0-0000-7000-8000-000000000b01'::uuid, id]
FROM t_town;

CREATE TEMP TABLE t_const AS
SELECT t.i AS town, c, t.id AS committee_id, uuid_generate_v7() AS id
FROM t_town t, generate_series(1, 5) c;
INSERT INTO constituencies (id, committee_id, name, code)
SELECT id, committee_id, '选区 ' || town || '-' || c, 'B' || town || '-' || c FROM t_const;

CREATE TEMP TABLE t_group AS
SELECT t.i AS town, g, t.id AS committee_id, uuid_generate_v7() AS id
FROM t_town t, generate_series(1, 10) g;
INSERT INTO liaison_groups (id, committee_id, kind, name, address, liaison_officers, officer_account_ids)
SELECT id, committee_id, CASE WHEN g % 2 = 0 THEN 'station' ELSE 'home' END,
       '代表联络站 ' || town || '-' || g, '街道 ' || town || ' 号院 ' || g, ARRAY[]::text[], ARRAY[]::uuid[]
FROM t_group;

CREATE TEMP TABLE t_rep AS
SELECT g.id AS group_id, g.town, g.g, r, uuid_generate_v7() AS id,
       (SELECT c.id FROM t_const c WHERE c.town = g.town AND c.c = 1 + (g.g + r) % 5) AS constituency_id
FROM t_group g, generate_series(1, 3) r;
INSERT INTO representatives (id, name, gender, level, term, constituency_id, liaison_group_id, status)
SELECT id, '代表 ' || town || '-' || r || '-' || left(id::text, 4),
       CASE WHEN r % 2 = 0 THEN 'female' ELSE 'male' END, 'district', 16, constituency_id, group_id, 'serving'
FROM t_rep;

-- Numbered in the order they were made, not by id: ids made in one millisecond are in no
-- order, and the numbers decide which deputy, body and voters each opinion gets, so numbering
-- by id gave each run another data set (a township's share of a searched word went from a
-- tenth to a quarter between two runs).
CREATE TEMP TABLE t_body AS SELECT i AS n, uuid_generate_v7() AS id FROM generate_series(1, 50) i;
INSERT INTO handling_bodies (id, name, kind, committee_id)
SELECT id, '承办单位 ' || n, 'government_department', '0190f5a0-0000-7000-8000-000000000b01'
FROM t_body;

CREATE TEMP TABLE t_c AS
SELECT row_number() OVER (ORDER BY town, c) AS n, id, committee_id FROM t_const;

-- The big tables' indexes are built after their rows, in one pass each (as the migrations
-- define them), rather than kept row by row: all but those a constraint stands on (primary
-- keys, which foreign keys need). Their uniqueness is checked when they are built.
CREATE TEMP TABLE t_loaded_indexes AS
SELECT i.indexrelid::regclass::text AS indexname, pg_get_indexdef(i.indexrelid) AS indexdef
FROM pg_index i
WHERE i.indrelid IN ('voters'::regclass, 'opinions'::regclass, 'opinion_events'::regclass,
                     'referrals'::regclass, 'opinion_search_texts'::regclass,
                     'activities'::regclass,
                     'activity_participants'::regclass)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid);
SELECT pg_temp.execute_each(array_agg(format('DROP INDEX %s', indexname))) FROM t_loaded_indexes;

INSERT INTO voters (id, name, constituency_id, phone, verified_at)
SELECT uuid_generate_v7(), '选民 ' || i, c.id, '139' || lpad(i::text, 8, '0'), now()
FROM generate_series(1, :voters) i JOIN t_c c ON c.n = 1 + i % 100;

CREATE TEMP TABLE t_r AS
SELECT row_number() OVER (ORDER BY r.town, r.g, r.r) AS n, r.id, r.constituency_id, r.group_id,
       c.committee_id
FROM t_rep r JOIN t_const c ON c.id = r.constituency_id;
CREATE TEMP TABLE t_v AS
SELECT row_number() OVER (ORDER BY split_part(name, ' ', 2)::int) AS n, id, constituency_id
FROM voters;
CREATE INDEX ON t_v (n);
ANALYZE t_v;

-- Opinions: three years back from now; the state decides how far the timeline got (refer
-- after 2 days, answer after 30, feedback after 35, rating after 40), and follows the age: a
-- recent opinion is still moving, an old one is mostly finished, with a stuck tail. `i`
-- modulo 600 picks the deputy; the category, source and handling body come from `i / 600`, so
-- each deputy's opinions have every category, source and body (taken from `i` modulo 6, 5 and
-- 50, each deputy had one of each, and the reports' sums two thirds of their rows).
-- Ids are given in the order the opinions were received, as the server gives them: given
-- as the join came out, the newest ids were one deputy's opinions after another's, and a
-- township's search, which walks its opinions newest first, met them in runs.
CREATE TEMP TABLE t_op AS
SELECT uuid_generate_v7() AS id, received.* FROM (
SELECT i, r.id AS representative_id, r.group_id, r.constituency_id,
       r.committee_id,
       (SELECT v.id FROM t_v v WHERE v.n = 1 + (i::bigint * 7919) % :voters) AS voter_id,
       received_at,
       CASE WHEN x >= 0.95 AND age >= interval '1 day' THEN 'declined'
            WHEN age < interval '2 days' THEN 'received'
            WHEN age < interval '30 days' THEN CASE WHEN x < 0.1 THEN 'received' ELSE 'referred' END
            WHEN age < interval '35 days' THEN CASE WHEN x < 0.3 THEN 'referred' ELSE 'answered' END
            WHEN age < interval '60 days' THEN
                CASE WHEN x < 0.1 THEN 'referred' WHEN x < 0.2 THEN 'answered' ELSE 'fed_back' END
            ELSE CASE WHEN x < 0.02 THEN 'referred' WHEN x < 0.04 THEN 'answered' ELSE 'fed_back' END
       END AS state,
       (ARRAY['urban_management', 'transport', 'education', 'healthcare', 'environment', 'other'])[1 + (i / 600) % 6] AS category,
       (ARRAY['online', 'reception', 'visit', 'forum', 'letter'])[1 + (i / 3600) % 5] AS source,
       (SELECT b.id FROM t_body b WHERE b.n = 1 + (7 * (i / 600)) % 50) AS body_id,
       i % 97 = 0 AS urgent
FROM (SELECT i, x, received_at, now() - received_at AS age
      FROM (SELECT i, random() AS x, now() - (random() * interval '1095 days') AS received_at
            FROM generate_series(1, :opinions) i) drawn) s
JOIN t_r r ON r.n = 1 + s.i % 600
ORDER BY received_at) received;

INSERT INTO opinions (id, committee_id, constituency_id, liaison_group_id, representative_id, voter_id,
                      title, content, category, location, source, urgent, public_consent, state, round,
                      received_at, current_due_at, outcome, rating, rated_at, version, created_at, updated_at,
                      live_referrals)
SELECT id, committee_id, constituency_id, group_id, representative_id, voter_id,
       (ARRAY['路灯坏了', '垃圾清运不及时', '停车难', '噪音扰民', '学校扩建', '老旧小区加装电梯'])[1 + i % 6] || ' ' || i,
       '基准数据：选民反映的问题 ' || i, category, NULL, source, urgent, i % 3 = 0, state, 1,
       received_at,
       CASE state WHEN 'received' THEN received_at + interval '5 days'
                  WHEN 'referred' THEN received_at + interval '3 months'
                  WHEN 'answered' THEN received_at + interval '100 days' END,
       CASE WHEN state IN ('answered', 'fed_back') THEN (ARRAY['resolved', 'partly_resolved', 'explained_unresolvable'])[1 + i % 3] END,
       CASE WHEN state = 'fed_back' AND i % 5 < 3 AND received_at < now() - interval '40 days' THEN (ARRAY['satisfied', 'basically_satisfied', 'unsatisfied'])[1 + i % 3] END,
       CASE WHEN state = 'fed_back' AND i % 5 < 3 AND received_at < now() - interval '40 days' THEN received_at + interval '40 days' END,
       1, received_at, received_at,
       -- The lead referral written below, as the steps keep it (migration 000030).
       CASE WHEN state IN ('referred', 'answered', 'fed_back')
            THEN jsonb_build_array(jsonb_build_array(body_id, 'lead', 1)) ELSE '[]' END
FROM t_op;
-- What the search reads, which a trigger copies when an opinion is received.
INSERT INTO opinion_search_texts (opinion_id, title, content)
SELECT id, title, content FROM opinions;

INSERT INTO opinion_events (id, opinion_id, action, from_state, to_state, round, actor_role, at, payload, internal)
SELECT uuid_generate_v7(), id, 'receive', NULL, 'received', 1, 'voter', received_at,
       jsonb_build_object('source', source, 'urgent', urgent, 'due_at', received_at + interval '5 days'), false
FROM t_op;
INSERT INTO opinion_events (id, opinion_id, action, from_state, to_state, round, actor_role, at, payload, internal)
SELECT uuid_generate_v7(), id, 'refer', 'received', 'referred', 1, 'committee_staff', received_at + interval '2 days',
       jsonb_build_object('handling_body_id', body_id, 'assisting_body_ids', '[]'::jsonb,
                          'channel', 'recess_suggestion', 'due_at', received_at + interval '3 months'), false
FROM t_op WHERE state IN ('referred', 'answered', 'fed_back');
INSERT INTO opinion_events (id, opinion_id, action, from_state, to_state, round, actor_role, at, payload, internal)
SELECT uuid_generate_v7(), id, 'answer', 'referred', 'answered', 1, 'handling_body', received_at + interval '30 days',
       jsonb_build_object('outcome', (ARRAY['resolved', 'partly_resolved', 'explained_unresolvable'])[1 + i % 3],
                          'text', '已办理', 'feed_back_due_at', received_at + interval '40 days'), false
FROM t_op WHERE state IN ('answered', 'fed_back');
INSERT INTO opinion_events (id, opinion_id, action, from_state, to_state, round, actor_role, at, payload, internal)
SELECT uuid_generate_v7(), id, 'feed_back', 'answered', 'fed_back', 1, 'group_staff', received_at + interval '35 days',
       jsonb_build_object('method', 'phone', 'text', '已告知选民'), false
FROM t_op WHERE state = 'fed_back';
INSERT INTO opinion_events (id, opinion_id, action, from_state, to_state, round, actor_role, at, payload, internal)
SELECT uuid_generate_v7(), id, 'rate', 'fed_back', 'fed_back', 1, 'voter', received_at + interval '40 days',
       jsonb_build_object('rating', (ARRAY['satisfied', 'basically_satisfied', 'unsatisfied'])[1 + i % 3]), false
FROM t_op WHERE state = 'fed_back' AND i % 5 < 3 AND received_at < now() - interval '40 days';
INSERT INTO opinion_events (id, opinion_id, action, from_state, to_state, round, actor_role, at, payload, internal)
SELECT uuid_generate_v7(), id, 'decline', 'received', 'declined', 1, 'committee_staff', received_at + interval '1 day',
       jsonb_build_object('reason', '不属于受理范围', 'guidance', '信访办'), false
FROM t_op WHERE state = 'declined';

-- Overdue ones were announced when they fell due (overdue_notified_at), as on a running
-- system; otherwise the first minutes of the run would be the sweep catching up on them.
INSERT INTO referrals (id, opinion_id, handling_body_id, role, channel, round, referred_at, due_at,
                       answered_at, outcome, answer_text, overdue_notified_at)
SELECT uuid_generate_v7(), id, body_id, 'lead', 'recess_suggestion', 1, received_at + interval '2 days',
       received_at + interval '3 months',
       CASE WHEN state IN ('answered', 'fed_back') THEN received_at + interval '30 days' END,
       CASE WHEN state IN ('answered', 'fed_back') THEN (ARRAY['resolved', 'partly_resolved', 'explained_unresolvable'])[1 + i % 3] END,
       CASE WHEN state IN ('answered', 'fed_back') THEN '已办理' END,
       CASE WHEN state = 'referred' AND received_at + interval '3 months' < now()
            THEN received_at + interval '3 months' END
FROM t_op WHERE state IN ('referred', 'answered', 'fed_back');

-- Activities: station receptions and the other kinds, three years back and a month ahead.
-- `i` modulo 200 picks the group (town and station); the kind and whether it was cancelled
-- come from the digits above (`i / 2000`, `i / 200`), so every group has every kind and one
-- activity in ten cancelled. (Taken from `i` modulo 4 and 10, they followed the town: each
-- town had one kind, and the towns 1 and 11 had every activity cancelled.)
CREATE TEMP TABLE t_act AS
SELECT i, uuid_generate_v7() AS id, g.id AS group_id, g.committee_id,
       date_trunc('hour', now() - (random() * interval '1095 days') + interval '30 days') AS starts_at,
       (ARRAY['station_reception', 'centralised_contact', 'pre_session_consultation', 'supervision_consultation'])[1 + (i / 2000) % 4] AS kind,
       (i / 200) % 10 = 0 AS cancelled
FROM generate_series(1, :activities) i JOIN t_group g ON g.town = 1 + i % 20 AND g.g = 1 + (i / 20) % 10;
INSERT INTO activities (id, kind, form, committee_id, organiser_group_id, liaison_group_id, starts_at, ends_at,
                        topic, published, published_at, status, voters_met, summary, held_at,
                        cancel_reason, cancelled_at, attendee_officer_ids)
SELECT id, kind, 'reception', committee_id, group_id, group_id, starts_at, starts_at + interval '2 hours',
       '接待选民 ' || i, starts_at > now(), CASE WHEN starts_at > now() THEN now() END,
       status,
       CASE WHEN status = 'held' THEN 5 + i % 20 END,
       CASE WHEN status = 'held' THEN '接待选民，收集意见。' END,
       CASE WHEN status = 'held' THEN starts_at + interval '2 hours' END,
       CASE WHEN status = 'cancelled' THEN '天气原因' END,
       CASE WHEN status = 'cancelled' THEN starts_at - interval '1 day' END,
       ARRAY[]::uuid[]
FROM (SELECT *, CASE WHEN starts_at > now() THEN 'planned' WHEN cancelled THEN 'cancelled' ELSE 'held' END AS status
      FROM t_act) a;
INSERT INTO activity_participants (activity_id, representative_id, planned, attended, starts_at, kind, activity_held)
SELECT a.id, r.id, true, a.starts_at <= now() AND NOT a.cancelled, a.starts_at, a.kind,
       a.starts_at <= now() AND NOT a.cancelled
FROM t_act a JOIN t_rep r ON r.group_id = a.group_id AND r.r <= 1 + a.i % 3;

SELECT pg_temp.execute_each(array_agg(indexdef)) FROM t_loaded_indexes;
-- Statistics before the measures are computed from the rows: without them each batch's plan
-- reckoned on empty tables.
ANALYZE opinions, opinion_events, referrals;

-- The report's measures, which the steps would have kept (with the triggers off, as
-- everything loaded here: the rows come from the opinions). Their indexes (but the ones by
-- opinion, which the refresh deletes by) are built afterwards, in one pass each (as the
-- migrations define them): kept row by row, they tripled the time.
\if :measures
CREATE TEMP TABLE t_measure_indexes AS
SELECT indexname, indexdef FROM pg_indexes
WHERE tablename IN ('opinion_measures', 'referral_measures')
  AND indexname NOT IN ('opinion_measures_opinion_idx', 'referral_measures_opinion_idx');
SELECT pg_temp.execute_each(array_agg(format('DROP INDEX %I', indexname))) FROM t_measure_indexes;
CALL refresh_all_opinion_measures();
RESET session_replication_role;
SELECT pg_temp.execute_each(array_agg(indexdef)) FROM t_measure_indexes;
\else
RESET session_replication_role;
\endif
-- As autovacuum would leave a database at rest: statistics, and pages marked all-visible so
-- index-only scans need not visit the table.
VACUUM ANALYZE;
