-- Counters hand out ordered numbers inside a writing transaction. The row
-- lock (PostgreSQL) or the single writer (SQLite) makes numbers commit in
-- the order they were handed out, so readers following them never skip one.
CREATE TABLE IF NOT EXISTS counters (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);

INSERT INTO counters (name, value) VALUES ('deliveries', 0) ON CONFLICT (name) DO NOTHING;

-- Writes forwarded to Vercel, recorded before the first attempt.
-- order_key groups writes that touch the same thing at Vercel; within a
-- group they are delivered in seq order.
CREATE TABLE IF NOT EXISTS deliveries (
    id              TEXT PRIMARY KEY,
    seq             BIGINT NOT NULL UNIQUE,
    installation_id TEXT NOT NULL REFERENCES installations(id),
    operation       TEXT NOT NULL,
    target          TEXT NOT NULL DEFAULT '',
    order_key       TEXT NOT NULL,
    body            TEXT NOT NULL,
    body_key_id     TEXT NOT NULL DEFAULT '',
    idem_key        TEXT UNIQUE,
    request_hash    TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_owner     TEXT NOT NULL DEFAULT '',
    lease_until     BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    result_status   INTEGER NOT NULL DEFAULT 0,
    result          TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    finished_at     BIGINT
);

CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (status, next_attempt_at);

CREATE INDEX IF NOT EXISTS deliveries_order ON deliveries (order_key, status, seq);
