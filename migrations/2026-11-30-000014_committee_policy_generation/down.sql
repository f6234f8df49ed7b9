DROP TRIGGER committee_policies_policy_changed ON committee_policies;
DROP TRIGGER committees_policy_changed ON committees;
DROP FUNCTION committee_policy_changed();
DROP TABLE committee_policy_generation;
