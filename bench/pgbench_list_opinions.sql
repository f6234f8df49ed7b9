-- The statement of an authenticated list of opinions, as pgbench runs it: committee staff's
-- first page of referred opinions (`state=referred&limit=50`: fifty and one more, to know
-- whether a next page follows), each with its live referrals (kept on its row), the committees' policy
-- generation, and the session check folded in as a condition, as in
-- pgbench_get_opinion.sql. `town`: the staff's committee (`-D town=…`).
SELECT o.*, (SELECT n FROM committee_policy_generation)
  FROM opinions o
 WHERE o.id IN (SELECT id FROM opinions WHERE committee_id = :town AND state = 'referred'
                 ORDER BY id DESC LIMIT 51)
   AND EXISTS (SELECT only_row FROM committee_policy_generation
                WHERE callers = (SELECT callers FROM committee_policy_generation))
 ORDER BY o.id DESC;
