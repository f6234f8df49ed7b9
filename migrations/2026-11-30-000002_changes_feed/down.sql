DROP TRIGGER outbox_notify ON outbox;
DROP FUNCTION outbox_notify();
DROP TABLE changes_horizon;
DROP INDEX outbox_created_idx;
DROP INDEX outbox_committee_feed_idx;
DROP INDEX outbox_feed_idx;
ALTER TABLE outbox DROP COLUMN committee_id, DROP COLUMN subject_kind, DROP COLUMN txid;
