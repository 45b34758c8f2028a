-- SQLite numbers events and deliveries with the rowid instead of the
-- counters rows: an INTEGER PRIMARY KEY is the table's own key, so a write
-- no longer updates a counter row and a separate index of the number.
-- SQLite has one writer at a time, so rowids commit in the order they are
-- handed out. A rowid is one more than the largest in the table; rows of
-- these tables are never deleted, so a number is never handed out twice
-- (deleting the newest would need AUTOINCREMENT, one more page a write).

CREATE TABLE events_new (
    id              INTEGER PRIMARY KEY,
    type            TEXT NOT NULL,
    installation_id TEXT NOT NULL DEFAULT '',
    subject         TEXT NOT NULL DEFAULT '',
    data            TEXT NOT NULL DEFAULT '{}',
    created_at      BIGINT NOT NULL
);

INSERT INTO events_new (id, type, installation_id, subject, data, created_at)
    SELECT id, type, installation_id, subject, data, created_at FROM events;

DROP TABLE events;

ALTER TABLE events_new RENAME TO events;

-- seq is the rowid. Of the indexes: deliveries_heads (status, order_key,
-- then the rowid seq) serves the claim, the earlier-pending check and the
-- lookups by status; idem_key is indexed only where set. The former
-- deliveries_due served only lookups by status.
CREATE TABLE deliveries_new (
    id              TEXT NOT NULL UNIQUE,
    seq             INTEGER PRIMARY KEY,
    installation_id TEXT NOT NULL REFERENCES installations(id),
    operation       TEXT NOT NULL,
    target          TEXT NOT NULL DEFAULT '',
    order_key       TEXT NOT NULL,
    body            TEXT NOT NULL,
    body_key_id     TEXT NOT NULL DEFAULT '',
    idem_key        TEXT,
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
    finished_at     BIGINT,
    leases          INTEGER NOT NULL DEFAULT 0,
    repeats         INTEGER NOT NULL DEFAULT 0
);

INSERT INTO deliveries_new (id, seq, installation_id, operation, target, order_key, body, body_key_id, idem_key,
    request_hash, status, attempts, next_attempt_at, lease_owner, lease_until, last_error, result_status, result,
    created_at, updated_at, finished_at, leases, repeats)
    SELECT id, seq, installation_id, operation, target, order_key, body, body_key_id, idem_key,
    request_hash, status, attempts, next_attempt_at, lease_owner, lease_until, last_error, result_status, result,
    created_at, updated_at, finished_at, leases, repeats FROM deliveries;

DROP TABLE deliveries;

ALTER TABLE deliveries_new RENAME TO deliveries;

CREATE UNIQUE INDEX deliveries_idem ON deliveries (idem_key) WHERE idem_key IS NOT NULL;

CREATE INDEX deliveries_heads ON deliveries (status, order_key);

DELETE FROM counters WHERE name IN ('events', 'deliveries');
