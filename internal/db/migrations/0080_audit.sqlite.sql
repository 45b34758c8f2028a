-- The audit log: every staff console action and every internal API write,
-- with who (a staff e-mail or an internal token's name, never a token),
-- what, on which installation and target, and the request id. On SQLite
-- the id is the rowid: one writer, so ids commit in order and ?after=
-- readers miss nothing.
CREATE TABLE IF NOT EXISTS audit_log (
    id              INTEGER PRIMARY KEY,
    at              BIGINT NOT NULL,
    actor           TEXT NOT NULL,
    actor_kind      TEXT NOT NULL,
    action          TEXT NOT NULL,
    installation_id TEXT NOT NULL DEFAULT '',
    target          TEXT NOT NULL DEFAULT '',
    delivery_id     TEXT NOT NULL DEFAULT '',
    request_id      TEXT NOT NULL DEFAULT '',
    detail          TEXT NOT NULL DEFAULT ''
);
