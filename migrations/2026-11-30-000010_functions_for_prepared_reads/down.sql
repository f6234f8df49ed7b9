DROP FUNCTION committee_policy_along_path(uuid);
DROP FUNCTION opinion_live_referrals(uuid);
DROP FUNCTION committed_txid_horizon();
