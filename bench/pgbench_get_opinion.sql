-- The statement of an authenticated GET of one opinion, as pgbench runs it: the opinion in
-- the caller's scope (its committee, the staff's township, checked on the row itself; the id
-- taken from an index) with its live referrals (kept on its row, migration 000030), the
-- committees' policy generation (the server keeps the policies while it has not moved), and
-- the session check folded in as a condition: nothing a caller is loaded from has changed
-- since the server read the session (the callers' generation, on the same row as the
-- policies'; the server checks the session's end itself).
\set n random(1, 10000)
SELECT o.*, (SELECT n FROM committee_policy_generation)
  FROM opinions o
 WHERE o.id = (SELECT id FROM bench_ids WHERE n = :n)
   AND o.committee_id = (SELECT committee_id FROM bench_ids LIMIT 1)
   AND EXISTS (SELECT only_row FROM committee_policy_generation
                WHERE callers = (SELECT callers FROM committee_policy_generation));
