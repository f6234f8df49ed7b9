-- The statements of referring an opinion, as pgbench runs them, in the server's order: in one
-- transaction the row lock, with the session check folded in as the server folds it (the
-- callers' generation unchanged since it read the session, `access::AuthedWrite`); the
-- opinion's live referrals, read once the lock is held (the server sends `BEGIN`, the lock and
-- this read together, one round trip where this script, whose `\gset` cannot run in a
-- pipeline, takes three); then, sent together, the referral, the opinion's update (checking
-- the row it leaves against what the timeline event records), the event, its outbox row and
-- `COMMIT` (`db::Ending`). The committee's policy, the calendar
-- and where the handling body sits come from what the server keeps (`KeptPolicies`), with no
-- statement.
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
SELECT * FROM referrals WHERE opinion_id = :o_id::uuid AND returned_at IS NULL;
\startpipeline
INSERT INTO referrals (id, opinion_id, handling_body_id, role, channel, round, referred_at,
                       referred_by, due_at)
VALUES (uuid_generate_v7(), :o_id::uuid, :body::uuid, 'lead', 'recess_suggestion', 1, now(), :account::uuid,
        now() + interval '3 months');
UPDATE opinions SET state = 'referred', current_due_at = now() + interval '3 months',
                    version = version + 1, updated_at = now()
 WHERE id = :o_id::uuid
RETURNING *,
          opinion_as_outlined(committee_id = :town::uuid AND state = 'referred' AND round = 1
                              AND urgent = false AND version = 2, id);
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
COMMIT;
\endpipeline
