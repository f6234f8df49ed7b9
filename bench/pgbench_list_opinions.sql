-- The statement of an authenticated list of opinions, as pgbench runs it: committee staff's
-- first page of referred opinions (`state=referred&limit=50`: fifty and one more, to know
-- whether a next page follows), each with its live referrals joined, the committees' policy
-- generation, and the session check folded in as a condition, as in
-- pgbench_get_opinion.sql. `town`: the staff's committee (`-D town=…`).
SELECT o.*, r.handling_body_id, r.role, r.round, (SELECT n FROM committee_policy_generation)
  FROM opinions o LEFT JOIN referrals r ON r.opinion_id = o.id AND r.returned_at IS NULL
 WHERE o.id IN (SELECT id FROM opinions WHERE committee_id = :town AND state = 'referred'
                 ORDER BY id DESC LIMIT 51)
   AND EXISTS (SELECT 1 FROM accounts a JOIN sessions s ON s.account_id = a.id
                WHERE s.id = (SELECT id FROM sessions WHERE revoked_at IS NULL AND expires_at > now()
                                ORDER BY created_at DESC LIMIT 1)
                  AND a.id = s.account_id AND s.revoked_at IS NULL AND s.expires_at > now()
                  AND a.disabled_at IS NULL AND a.must_change_password = false
                  AND NOT EXISTS (SELECT 1 FROM committees c WHERE c.parent_id = a.committee_id))
 ORDER BY o.id DESC;
