-- The push of the event feed to the partner's receiver (events.push_url).
-- push_state is one row: the feed cursor up to which events were taken
-- into event_pushes, and the number the next one gets. Taking events moves
-- the cursor with a guarded update in the transaction that records them,
-- so two replicas never take the same event twice.
CREATE TABLE IF NOT EXISTS push_state (
    id          INTEGER PRIMARY KEY,
    feed_cursor BIGINT NOT NULL,
    seq         BIGINT NOT NULL
);

INSERT INTO push_state (id, feed_cursor, seq) VALUES (1, 0, 0) ON CONFLICT (id) DO NOTHING;

-- One row per event to push. Pushes of one installation (stream) go out
-- in seq order: only the first pending one of a stream is attempted.
CREATE TABLE IF NOT EXISTS event_pushes (
    id              TEXT PRIMARY KEY,
    seq             BIGINT NOT NULL UNIQUE,
    stream          TEXT NOT NULL,
    event_id        TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_owner     TEXT NOT NULL DEFAULT '',
    lease_until     BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    since           BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    finished_at     BIGINT
);

CREATE INDEX IF NOT EXISTS event_pushes_heads ON event_pushes (status, stream, seq);
