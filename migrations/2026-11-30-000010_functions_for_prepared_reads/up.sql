-- Functions hot reads call from their own statements. Written as raw SQL in a statement
-- instead, diesel would not keep the statement prepared (every request planned it afresh);
-- and a SQL-language function with a FROM is planned on every call, where PL/pgSQL keeps its
-- plans for the session.

-- The newest transaction id below which every transaction has ended: the changes feed serves
-- only changes written before it, so a change committed late is never skipped. (No FROM: it
-- is inlined, and taken once per scan.)
CREATE FUNCTION committed_txid_horizon() RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint
$$;

-- What the view of an opinion needs beside its row, so one statement reads the opinion, its
-- referrals and its committee's policy.

-- The referrals of an opinion not returned, as [[handling body, role, round], …].
CREATE FUNCTION opinion_live_referrals(opinion uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN COALESCE(
        (SELECT jsonb_agg(jsonb_build_array(r.handling_body_id, r.role, r.round))
         FROM referrals r
         WHERE r.opinion_id = opinion AND r.returned_at IS NULL),
        '[]');
END
$$;

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
