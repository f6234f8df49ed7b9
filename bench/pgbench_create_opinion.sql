-- The statements of creating an opinion, as pgbench runs them, in the server's order: in one
-- transaction the checks and what the opinion takes from its constituency (sent together, as
-- the server pipelines them; the policies' generation is read only while the callers'
-- generation is unchanged since the server read the session, `access::AuthedWrite`), then,
-- sent together, the opinion (checking the row it makes against what the timeline event
-- records), its timeline event, its outbox row and `COMMIT` (`db::Ending`). The server makes
-- the ids and the refer-by date itself, from the policy and calendar it keeps
-- (`KeptPolicies`); here the database does, the opinion's id from the client and its count
-- so far, so the event can name it in the same pipeline. Variables (`-D`): `town` (a
-- committee other than the API scenario's, whose lists are measured), `constituency`,
-- `deputy`, `account` (the recorder), `k` (0: the client's count so far).
\set k :k + 1
BEGIN;
\startpipeline
SELECT * FROM constituencies
 WHERE id = :constituency::uuid
   AND committee_id IN (SELECT id FROM committees WHERE ancestors @> ARRAY[:town::uuid]::uuid[]) LIMIT 1;
SELECT * FROM representatives
 WHERE id = :deputy::uuid
   AND liaison_group_id IN (SELECT id FROM liaison_groups WHERE committee_id IN
                              (SELECT id FROM committees WHERE ancestors @> ARRAY[:town::uuid]::uuid[]))
 LIMIT 1;
SELECT n FROM committee_policy_generation
 WHERE EXISTS (SELECT only_row FROM committee_policy_generation
                WHERE callers = (SELECT callers FROM committee_policy_generation)) LIMIT 1;
\endpipeline
\startpipeline
INSERT INTO opinions (id, committee_id, constituency_id, liaison_group_id, representative_id,
                      title, content, category, source, urgent, public_consent, received_at,
                      current_due_at, created_by)
SELECT md5(:town::text || '.' || :client_id::text || '.' || :k::text)::uuid, :town::uuid, :constituency::uuid,
       r.liaison_group_id, r.id, '基准压测 pgbench', '路灯坏了', 'urban_management', 'reception',
       false, false, now(), now() + interval '7 days', :account::uuid
  FROM representatives r WHERE r.id = :deputy::uuid
RETURNING *, opinion_as_outlined(committee_id = :town::uuid AND state = 'received' AND round = 1
                                 AND urgent = false AND version = 1, id);
INSERT INTO opinion_events (id, opinion_id, action, to_state, round, actor_id, actor_role, at,
                            payload, internal)
VALUES (uuid_generate_v7(), md5(:town::text || '.' || :client_id::text || '.' || :k::text)::uuid, 'receive',
        'received', 1, :account::uuid, 'committee_staff', now(),
        jsonb_build_object('due_at', now() + interval '7 days', 'source', 'reception',
                           'urgent', false), false);
INSERT INTO outbox (topic, subject_kind, aggregate_id, committee_id, payload)
VALUES ('opinion.received', 'opinion', md5(:town::text || '.' || :client_id::text || '.' || :k::text)::uuid,
        :town::uuid,
        jsonb_build_object('round', 1, 'state', 'received', 'action', 'receive', 'urgent', false,
                           'version', 1, 'opinion_id',
                           md5(:town::text || '.' || :client_id::text || '.' || :k::text)::uuid,
                           'committee_id', :town::uuid));
COMMIT;
\endpipeline
