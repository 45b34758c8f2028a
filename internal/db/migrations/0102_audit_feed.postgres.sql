-- Audit entries, like events in 0100, no longer take their ids from a
-- counter row whose lock, held to the commit, would make every write that
-- records its entry in its own transaction commit one after another. Ids
-- come from a sequence and each entry keeps its transaction's id; readers
-- follow the log by (xid, id) up to the oldest transaction in progress
-- (see feed.go). Entries written before keep their ids and sort first.
CREATE SEQUENCE IF NOT EXISTS audit_seq;

SELECT setval('audit_seq', GREATEST(
    COALESCE((SELECT MAX(id) FROM audit_log), 0),
    COALESCE((SELECT value FROM counters WHERE name = 'audit'), 0)) + 1, false);

ALTER TABLE audit_log ALTER COLUMN id SET DEFAULT nextval('audit_seq');

ALTER TABLE audit_log ADD COLUMN xid xid8 NOT NULL DEFAULT '0';

ALTER TABLE audit_log ALTER COLUMN xid SET DEFAULT pg_current_xact_id();

CREATE INDEX IF NOT EXISTS audit_log_feed ON audit_log (xid, id);

DELETE FROM counters WHERE name = 'audit';
