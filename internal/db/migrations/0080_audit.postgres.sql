-- The audit log: every staff console action and every internal API write,
-- with who (a staff e-mail or an internal token's name, never a token),
-- what, on which installation and target, and the request id. Ids come
-- from the 'audit' counter row, locked until the writing transaction
-- ends, so they commit in order and ?after= readers miss nothing.
INSERT INTO counters (name, value) VALUES ('audit', 0) ON CONFLICT (name) DO NOTHING;

CREATE TABLE IF NOT EXISTS audit_log (
    id              BIGINT PRIMARY KEY,
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
