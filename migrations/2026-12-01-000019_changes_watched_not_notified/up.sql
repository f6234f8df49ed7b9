-- Writers no longer NOTIFY when they add to the outbox. PostgreSQL serialises the commits of
-- notifying transactions (PreCommit_Notify takes a database-wide lock and holds it through
-- the commit's flush), so every write waited for the one before it to reach the disk:
-- referring under pgbench, 480–560 transactions a second with the trigger, 700–770 without.
-- Each server now watches the feed's servable head on a connection of its own
-- (`changes::watch`).
DROP TRIGGER outbox_notify ON outbox;
DROP FUNCTION outbox_notify();
