-- Staff console sessions, keyed by a SHA-256 hash of the random id the
-- console cookie holds (the id itself is never stored). Separate from the
-- customers' dashboard sessions.
CREATE TABLE IF NOT EXISTS console_sessions (
    id_hash      TEXT PRIMARY KEY,
    email        TEXT NOT NULL,
    name         TEXT NOT NULL DEFAULT '',
    role         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);

CREATE INDEX IF NOT EXISTS console_sessions_last_seen ON console_sessions (last_seen_at);

-- Staff sign-ins under way: keyed by a hash of their OAuth state, each
-- taken once by the callback. The nonce and the PKCE verifier live here
-- for at most ten minutes.
CREATE TABLE IF NOT EXISTS console_logins (
    state_hash TEXT PRIMARY KEY,
    nonce      TEXT NOT NULL,
    verifier   TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Members seen at "Open in Provider" sign-in, so staff can find an
-- installation by a member's e-mail.
CREATE TABLE IF NOT EXISTS members (
    installation_id TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    email           TEXT NOT NULL DEFAULT '',
    name            TEXT NOT NULL DEFAULT '',
    role            TEXT NOT NULL DEFAULT '',
    last_seen_at    BIGINT NOT NULL,
    PRIMARY KEY (installation_id, user_id)
);

-- The console lists webhooks newest first, and an installation's
-- deliveries.
CREATE INDEX IF NOT EXISTS webhook_events_received ON webhook_events (received_at);

CREATE INDEX IF NOT EXISTS deliveries_installation ON deliveries (installation_id, seq);

-- When an operator last brought a dead delivery back: its age for
-- deliveries.max_age counts from then.
ALTER TABLE deliveries ADD COLUMN retried_at BIGINT NOT NULL DEFAULT 0;
