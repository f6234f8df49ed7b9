-- The statements of an authenticated GET of one opinion, as pgbench runs them: the session
-- and account, then the opinion in the caller's scope, its live referrals, the committee path
-- and the policies on it.
\set n random(1, 10000)
SELECT a.id, a.role, a.committee_id FROM accounts a JOIN sessions s ON s.account_id = a.id
 WHERE s.id = (SELECT id FROM sessions ORDER BY created_at LIMIT 1) AND s.revoked_at IS NULL;
SELECT o.* FROM bench_ids b JOIN opinions o ON o.id = b.id
 WHERE b.n = :n AND o.committee_id IN (SELECT id FROM committees WHERE ancestors @> ARRAY[(SELECT committee_id FROM bench_ids LIMIT 1)]);
SELECT r.* FROM referrals r JOIN bench_ids b ON r.opinion_id = b.id WHERE b.n = :n AND r.returned_at IS NULL;
SELECT ancestors FROM committees WHERE id = (SELECT committee_id FROM bench_ids LIMIT 1);
SELECT * FROM committee_policies WHERE committee_id = ANY (SELECT unnest(ancestors) FROM committees WHERE id = (SELECT committee_id FROM bench_ids LIMIT 1));
