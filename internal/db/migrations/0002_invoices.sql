-- Invoices submitted to Vercel (Vercel has no list API) and their last known state.
CREATE TABLE IF NOT EXISTS invoices (
    installation_id TEXT NOT NULL REFERENCES installations(id),
    id              TEXT NOT NULL,
    external_id     TEXT NOT NULL DEFAULT '',
    total           TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL DEFAULT '',
    test            BOOLEAN NOT NULL DEFAULT FALSE,
    period_start    BIGINT NOT NULL,
    period_end      BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (installation_id, id)
);
