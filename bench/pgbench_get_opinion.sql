-- The statements of an authenticated GET of one opinion, as pgbench runs them: the session
-- and account, then the opinion in the caller's scope with its live referrals (the function
-- the server's statement calls) and the committees' policy generation (the server keeps the
-- policies while it has not moved). The server
-- sends both at once on one connection (pipelined, one round trip); pgbench sends them one
-- after the other.
\set n random(1, 10000)
SELECT a.id, a.role, a.committee_id FROM accounts a JOIN sessions s ON s.account_id = a.id
 WHERE s.id = (SELECT id FROM sessions ORDER BY created_at LIMIT 1) AND s.revoked_at IS NULL;
SELECT o.*, opinion_live_referrals(o.id), (SELECT n FROM committee_policy_generation)
  FROM bench_ids b JOIN opinions o ON o.id = b.id
 WHERE b.n = :n AND o.committee_id IN (SELECT id FROM committees WHERE ancestors @> ARRAY[(SELECT committee_id FROM bench_ids LIMIT 1)]);
