-- The session sweep deletes by idle time too; without this index it read
-- the whole table.
CREATE INDEX IF NOT EXISTS sessions_last_seen ON sessions (last_seen_at);
