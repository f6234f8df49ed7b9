CREATE INDEX opinions_open_by_representative_idx ON opinions (representative_id)
    INCLUDE (received_at, current_due_at)
    WHERE representative_id IS NOT NULL AND state IN ('received', 'referred', 'answered');
DROP INDEX opinions_open_by_representative_due_idx;
