-- The statements of referring an opinion, as pgbench runs them, in the server's order: in one
-- transaction the row lock, with the session check folded in as the server folds it (the
-- callers' generation unchanged since it read the session, `access::AuthedWrite`); what the
-- step needs once the lock is held (sent together; the server sends the lock with these
-- reads, one round trip fewer than here, where `\gset` cannot run in a pipeline); the
-- handling body's check; the referral with the opinion's update (sent together); and its
-- timeline event with its outbox row (sent together).
-- Each client refers its own received opinions from `bench_refer_subjects` (n = client,
-- client + conns, …), each once; they were loaded without report measures
-- (bench/refer_subjects.sql), so the refresh after a refer computes all of the opinion's.
-- Variables (`-D`): `town` (their committee), `body` (the handling body), `account` (the
-- referrer), `conns` (the clients), `k` (0: the client's count so far).
\set k :k + 1
\set n :client_id + 1 + (:k - 1) * :conns
BEGIN;
SELECT o.*, (SELECT n FROM committee_policy_generation LIMIT 1) AS generation
  FROM opinions o
 WHERE o.id = (SELECT id FROM bench_refer_subjects WHERE n = :n) AND o.committee_id = :town::uuid
   AND EXISTS (SELECT only_row FROM committee_policy_generation
                WHERE callers = (SELECT callers FROM committee_policy_generation))
 LIMIT 1 FOR UPDATE \gset o_
\startpipeline
SELECT opinion_id, handling_body_id, role, round FROM referrals
 WHERE opinion_id = ANY (ARRAY[:o_id::uuid]::uuid[]) AND returned_at IS NULL;
SELECT * FROM referrals
 WHERE opinion_id = :o_id::uuid AND role = 'lead' AND returned_at IS NULL ORDER BY round DESC LIMIT 1;
SELECT day, kind FROM calendar_days WHERE day >= current_date;
\endpipeline
SELECT id FROM handling_bodies
 WHERE id = ANY (ARRAY[:body::uuid]::uuid[])
   AND (committee_id = ANY (ARRAY[:town::uuid]::uuid[])
        OR committee_id IN (SELECT id FROM committees WHERE ancestors @> ARRAY[:town::uuid]::uuid[]));
\startpipeline
INSERT INTO referrals (id, opinion_id, handling_body_id, role, channel, round, referred_at,
                       referred_by, due_at)
VALUES (uuid_generate_v7(), :o_id::uuid, :body::uuid, 'lead', 'recess_suggestion', 1, now(), :account::uuid,
        now() + interval '3 months');
UPDATE opinions SET state = 'referred', current_due_at = now() + interval '3 months',
                    version = version + 1, updated_at = now()
 WHERE id = :o_id::uuid
RETURNING *, opinion_live_referrals(id);
\endpipeline
\startpipeline
INSERT INTO opinion_events (id, opinion_id, action, from_state, to_state, round, actor_id,
                            actor_role, at, payload, internal)
VALUES (uuid_generate_v7(), :o_id::uuid, 'refer', 'received', 'referred', 1, :account::uuid,
        'committee_staff', now(),
        jsonb_build_object('due_at', now() + interval '3 months', 'channel', 'recess_suggestion',
                           'handling_body_id', :body::uuid, 'assisting_body_ids', '[]'::jsonb),
        false);
INSERT INTO outbox (topic, subject_kind, aggregate_id, committee_id, payload)
VALUES ('opinion.referred', 'opinion', :o_id::uuid, :town::uuid,
        jsonb_build_object('round', 1, 'state', 'referred', 'action', 'refer', 'urgent', false,
                           'version', 2, 'opinion_id', :o_id::uuid, 'committee_id', :town::uuid));
\endpipeline
COMMIT;
