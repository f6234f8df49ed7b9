-- The obligations page judges "no overdue opinions" from each deputy's open opinions, and
-- lists as evidence the overdue ones, or all the open ones when none is overdue. It read every
-- open opinion of its deputies to find the overdue: on a township whose deputies held 8,500
-- open opinions each (60 of them overdue), 255,000 rows a page, sent and decoded (10 pages a
-- second at 32 connections, the server at 138 MiB). Keyed by the due date after the deputy,
-- the overdue ones are a range of the index, and whether a deputy has any is its first entry
-- (bench/NOTES.md, obligations). The open states are `lifecycle::is_open`'s, as before.
CREATE INDEX opinions_open_by_representative_due_idx ON opinions (representative_id, current_due_at)
    INCLUDE (received_at, id)
    WHERE representative_id IS NOT NULL AND state IN ('received', 'referred', 'answered');
DROP INDEX opinions_open_by_representative_idx;
