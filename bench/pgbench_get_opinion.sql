-- The statement of an authenticated GET of one opinion, as pgbench runs it: the opinion in
-- the caller's scope (its committee, the staff's township, checked on the row itself; the id
-- taken from an index), its live referrals joined, the
-- committees' policy generation (the server keeps the policies while it has not moved), and
-- the session check folded in as a condition: the session is live and its account is still
-- whom the server last found there.
\set n random(1, 10000)
SELECT o.*, r.handling_body_id, r.role, r.round, (SELECT n FROM committee_policy_generation)
  FROM opinions o LEFT JOIN referrals r ON r.opinion_id = o.id AND r.returned_at IS NULL
 WHERE o.id = (SELECT id FROM bench_ids WHERE n = :n)
   AND o.committee_id = (SELECT committee_id FROM bench_ids LIMIT 1)
   AND EXISTS (SELECT 1 FROM accounts a JOIN sessions s ON s.account_id = a.id
                WHERE s.id = (SELECT id FROM sessions WHERE revoked_at IS NULL AND expires_at > now()
                                ORDER BY created_at DESC LIMIT 1)
                  AND a.id = s.account_id AND s.revoked_at IS NULL AND s.expires_at > now()
                  AND a.disabled_at IS NULL AND a.must_change_password = false
                  AND NOT EXISTS (SELECT 1 FROM committees c WHERE c.parent_id = a.committee_id));
