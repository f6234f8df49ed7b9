-- As migration 2026-11-30-000010 made it.
-- A committee's path and the policies set along it, as {path, set: [[committee, policy], …]}:
-- each policy as its row, but for the two columns that are not policy.
CREATE FUNCTION committee_policy_along_path(committee uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (
        SELECT jsonb_build_object(
                   'path', c.ancestors,
                   'set', COALESCE(
                       jsonb_agg(jsonb_build_array(p.committee_id,
                                                   to_jsonb(p) - 'committee_id' - 'updated_at'))
                           FILTER (WHERE p.committee_id IS NOT NULL),
                       '[]'))
        FROM committees c
        LEFT JOIN committee_policies p ON c.ancestors @> ARRAY[p.committee_id]
        WHERE c.id = committee
        GROUP BY c.ancestors);
END
$$;
