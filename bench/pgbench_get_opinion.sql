-- The statements of an authenticated GET of one opinion, as pgbench runs them: the session
-- and account, the opinion in the caller's scope, its live referrals, and its committee's
-- path joined to the policies on it. The server sends all four at once on one connection
-- (pipelined, one round trip); pgbench sends them one after another.
\set n random(1, 10000)
SELECT a.id, a.role, a.committee_id FROM accounts a JOIN sessions s ON s.account_id = a.id
 WHERE s.id = (SELECT id FROM sessions ORDER BY created_at LIMIT 1) AND s.revoked_at IS NULL;
SELECT o.* FROM bench_ids b JOIN opinions o ON o.id = b.id
 WHERE b.n = :n AND o.committee_id IN (SELECT id FROM committees WHERE ancestors @> ARRAY[(SELECT committee_id FROM bench_ids LIMIT 1)]);
SELECT r.* FROM referrals r JOIN bench_ids b ON r.opinion_id = b.id WHERE b.n = :n AND r.returned_at IS NULL;
SELECT c.id, c.ancestors, p.* FROM committees c
  LEFT JOIN committee_policies p ON c.ancestors @> ARRAY[p.committee_id]
 WHERE c.id IN (SELECT o.committee_id FROM bench_ids b JOIN opinions o ON o.id = b.id WHERE b.n = :n);
