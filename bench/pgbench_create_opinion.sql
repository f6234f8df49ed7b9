-- The statements of creating an opinion, as pgbench runs them, in the server's order: in one
-- transaction the checks and what the opinion takes from its constituency (sent together, as
-- the server pipelines them; the policies' generation is read only while the callers'
-- generation is unchanged since the server read the session, `access::AuthedWrite`), the
-- opinion, and its timeline event with its outbox row (sent together). The server makes the ids and the refer-by date
-- itself, from the policy and calendar it keeps (`KeptPolicies`); here the database does. Variables (`-D`): `town` (a committee other than the API
-- scenario's, whose lists are measured), `constituency`, `deputy`, `account` (the recorder).
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
INSERT INTO opinions (id, committee_id, constituency_id, liaison_group_id, representative_id,
                      title, content, category, source, urgent, public_consent, received_at,
                      current_due_at, created_by)
SELECT uuid_generate_v7(), :town::uuid, :constituency::uuid, r.liaison_group_id, r.id, '基准压测 pgbench',
       '路灯坏了', 'urban_management', 'reception', false, false, now(),
       now() + interval '7 days', :account::uuid
  FROM representatives r WHERE r.id = :deputy::uuid
RETURNING * \gset o_
\startpipeline
INSERT INTO opinion_events (id, opinion_id, action, to_state, round, actor_id, actor_role, at,
                            payload, internal)
VALUES (uuid_generate_v7(), :o_id::uuid, 'receive', 'received', 1, :account::uuid, 'committee_staff', now(),
        jsonb_build_object('due_at', now() + interval '7 days', 'source', 'reception',
                           'urgent', false), false);
INSERT INTO outbox (topic, subject_kind, aggregate_id, committee_id, payload)
VALUES ('opinion.received', 'opinion', :o_id::uuid, :town::uuid,
        jsonb_build_object('round', 1, 'state', 'received', 'action', 'receive', 'urgent', false,
                           'version', 1, 'opinion_id', :o_id::uuid, 'committee_id', :town::uuid));
\endpipeline
COMMIT;
