-- Dashboard sessions. The key is a SHA-256 hash of the random id the
-- browser's cookie holds; the id itself is never stored.
CREATE TABLE IF NOT EXISTS sessions (
    id_hash         TEXT PRIMARY KEY,
    installation_id TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    user_name       TEXT NOT NULL DEFAULT '',
    user_email      TEXT NOT NULL DEFAULT '',
    avatar_url      TEXT NOT NULL DEFAULT '',
    role            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    last_seen_at    BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL
);

CREATE INDEX IF NOT EXISTS sessions_member ON sessions (installation_id, user_id);

CREATE INDEX IF NOT EXISTS sessions_expires ON sessions (expires_at);
