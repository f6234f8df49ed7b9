-- The changes feed reads the outbox. A row is served only once every transaction that could
-- still add a row before it has ended: each row records its writing transaction's id (xid8,
-- as bigint for diesel), and readers serve rows below the xmin of their snapshot, in
-- (txid, seq) order. A plain sequence is not enough: its values commit out of order.
ALTER TABLE outbox
    ADD COLUMN txid bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    ADD COLUMN subject_kind text,
    ADD COLUMN committee_id uuid;

UPDATE outbox SET subject_kind = split_part(topic, '.', 1);
UPDATE outbox o SET committee_id = x.committee_id
    FROM opinions x WHERE o.subject_kind = 'opinion' AND x.id = o.aggregate_id;
UPDATE outbox o SET committee_id = x.committee_id
    FROM activities x WHERE o.subject_kind = 'activity' AND x.id = o.aggregate_id;
UPDATE outbox o SET committee_id = x.committee_id
    FROM appointments x WHERE o.subject_kind = 'appointment' AND x.id = o.aggregate_id;
ALTER TABLE outbox ALTER COLUMN subject_kind SET NOT NULL;

CREATE INDEX outbox_feed_idx ON outbox (txid, seq);
CREATE INDEX outbox_committee_feed_idx ON outbox (committee_id, txid, seq);
CREATE INDEX outbox_created_idx ON outbox (created_at);

-- How far retention has pruned: a cursor at or before this position has lost changes.
CREATE TABLE changes_horizon (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    txid bigint NOT NULL,
    seq bigint NOT NULL
);
INSERT INTO changes_horizon (txid, seq) VALUES (0, 0);

-- Wake long-polling readers when changes commit (NOTIFY is delivered at commit).
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('liaison_changes', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
