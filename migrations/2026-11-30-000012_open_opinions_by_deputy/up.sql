-- The obligations page reads the open opinions of a page of deputies (with their due dates):
-- through the index on the deputy alone that fetched every opinion each deputy ever took
-- from the heap (about 1,700 each at district scale) to keep the few still open. The open
-- states are `lifecycle::is_open`'s.
CREATE INDEX opinions_open_by_representative_idx ON opinions (representative_id)
    INCLUDE (received_at, current_due_at)
    WHERE representative_id IS NOT NULL AND state IN ('received', 'referred', 'answered');
