-- The statement of an authenticated list of opinions, as pgbench runs it: committee staff's
-- first page of referred opinions (`state=referred&limit=50`: fifty and one more, to know
-- whether a next page follows), each with its live referrals (kept on its row), the
-- committees' policy generation, and the session check folded in as a condition, as in
-- pgbench_get_opinion.sql. The staff's township has no committee below it, so one index
-- gives the page newest first and its rows are read as it is walked (`in_full::list_visible`).
-- `town`: the staff's committee (`-D town=…`).
SELECT o.*, (SELECT n FROM committee_policy_generation)
  FROM opinions o
 WHERE o.committee_id = :town AND o.state = 'referred'
   AND EXISTS (SELECT only_row FROM committee_policy_generation
                WHERE callers = (SELECT callers FROM committee_policy_generation))
 ORDER BY o.id DESC
 LIMIT 51;
