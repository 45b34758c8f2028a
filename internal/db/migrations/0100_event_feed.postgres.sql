-- Events no longer take their ids from the 'events' counter row, whose
-- lock, held from an event's insert to its commit, made every writing
-- transaction commit one after another (one WAL flush each). Ids now come
-- from a sequence, and each event keeps the id of the transaction that
-- wrote it. The feed is ordered by (xid, id) and a reader goes only up to
-- the oldest transaction still in progress, so an event that commits late
-- is never skipped (see events.go). Events written before this version
-- keep their ids and sort first (xid 0), so cursors handed out before it
-- still work.
CREATE SEQUENCE IF NOT EXISTS events_seq;

SELECT setval('events_seq', GREATEST(
    COALESCE((SELECT MAX(id) FROM events), 0),
    COALESCE((SELECT value FROM counters WHERE name = 'events'), 0)) + 1, false);

ALTER TABLE events ALTER COLUMN id SET DEFAULT nextval('events_seq');

-- A constant default fills the existing rows without rewriting the table;
-- new rows then take their transaction's id.
ALTER TABLE events ADD COLUMN xid xid8 NOT NULL DEFAULT '0';

ALTER TABLE events ALTER COLUMN xid SET DEFAULT pg_current_xact_id();

CREATE INDEX IF NOT EXISTS events_feed ON events (xid, id);

DELETE FROM counters WHERE name = 'events';
