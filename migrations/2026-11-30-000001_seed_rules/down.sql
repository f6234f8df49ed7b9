ALTER TABLE activities DROP COLUMN attendee_officer_ids;
ALTER TABLE liaison_groups DROP COLUMN head_representative_id, DROP COLUMN officer_account_ids;
ALTER TABLE activities DROP CONSTRAINT activities_report_text_kind_check, DROP COLUMN report_text;
DROP TABLE activity_events;
DROP FUNCTION append_only();
DELETE FROM activity_participants WHERE activity_id IN
    (SELECT id FROM activities WHERE status IN ('declared', 'rejected'));
DELETE FROM activities WHERE status IN ('declared', 'rejected');
ALTER TABLE activities DROP CONSTRAINT activities_rejected_check,
    DROP COLUMN reject_reason, DROP COLUMN rejected_at, DROP CONSTRAINT activities_status_check;
ALTER TABLE activities ADD CONSTRAINT activities_status_check
    CHECK (status IN ('planned', 'held', 'cancelled'));
DROP INDEX referrals_overdue_sweep_idx;
ALTER TABLE referrals DROP COLUMN overdue_notified_at;
DROP TABLE notifications;
DROP FUNCTION uuid_generate_v7();

ALTER TABLE opinion_events DROP CONSTRAINT opinion_events_action_check;
ALTER TABLE opinion_events ADD CONSTRAINT opinion_events_action_check
    CHECK (action IN ('receive', 'refer', 'transfer', 'answer', 'feed_back', 'decline', 'reopen',
                      'rate', 'accept', 'edit')) NOT VALID;

ALTER TABLE reception_rules
    ADD COLUMN representative_ids uuid[],
    ADD COLUMN exdates date[] NOT NULL DEFAULT '{}';
UPDATE reception_rules r SET representative_ids = v.representative_ids, exdates = v.exdates
    FROM (SELECT DISTINCT ON (rule_id) * FROM reception_rule_versions
          ORDER BY rule_id, effective_from DESC) v
    WHERE v.rule_id = r.id;
DELETE FROM reception_rules WHERE representative_ids IS NULL;
ALTER TABLE reception_rules ALTER COLUMN representative_ids SET NOT NULL, DROP COLUMN ends_on;
CREATE INDEX reception_rules_representatives_idx ON reception_rules USING gin (representative_ids);
DROP TABLE reception_rule_versions;

DELETE FROM contact_links WHERE valid_until IS NOT NULL;
DROP INDEX contact_links_representative_idx;
DROP INDEX contact_links_key;
CREATE UNIQUE INDEX contact_links_key ON contact_links (representative_id, voter_id, kind);
ALTER TABLE contact_links DROP COLUMN valid_from, DROP COLUMN valid_until;

ALTER TABLE committee_policies
    DROP COLUMN min_fixed_households,
    DROP COLUMN min_voter_liaisons,
    DROP COLUMN pre_session_window_days,
    DROP COLUMN referral_route;

DROP TABLE congress_sessions;
