-- The event feed: what internal services react to, in commit order. ids
-- come from the 'events' counter inside the writing transaction.
INSERT INTO counters (name, value) VALUES ('events', 0) ON CONFLICT (name) DO NOTHING;

CREATE TABLE IF NOT EXISTS events (
    id              BIGINT PRIMARY KEY,
    type            TEXT NOT NULL,
    installation_id TEXT NOT NULL DEFAULT '',
    subject         TEXT NOT NULL DEFAULT '',
    data            TEXT NOT NULL DEFAULT '{}',
    created_at      BIGINT NOT NULL
);
