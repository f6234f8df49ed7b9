-- Steps and creates now take a committee's path and policy from those each server keeps
-- (`committees::kept_policies`, checked against `committee_policy_generation`), as reads
-- already did: nothing calls this function any more.
DROP FUNCTION committee_policy_along_path(uuid);
