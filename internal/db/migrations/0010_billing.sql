-- The usage ledger: records the partner's services report, idempotent by
-- (installation, id). value is an exact decimal string; at is millis.
CREATE TABLE IF NOT EXISTS usage_records (
    installation_id TEXT NOT NULL REFERENCES installations(id),
    id              TEXT NOT NULL,
    resource_id     TEXT NOT NULL DEFAULT '',
    meter           TEXT NOT NULL,
    value           TEXT NOT NULL,
    at              BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (installation_id, id)
);

CREATE INDEX IF NOT EXISTS usage_records_at ON usage_records (installation_id, at);

-- One invoice per installation and billing period: the row is written in
-- the transaction that queues the invoice's delivery, so a repeat, a
-- crash or a second replica cannot queue a second one.
CREATE TABLE IF NOT EXISTS invoice_runs (
    installation_id TEXT NOT NULL REFERENCES installations(id),
    period_start    BIGINT NOT NULL,
    period_end      BIGINT NOT NULL,
    external_id     TEXT NOT NULL,
    delivery_id     TEXT NOT NULL,
    final           INTEGER NOT NULL DEFAULT 0,
    total           TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (installation_id, period_start)
);

-- Other things done once per installation and period (kind: final_data,
-- finalize), claimed in the transaction that queues them.
CREATE TABLE IF NOT EXISTS billing_marks (
    installation_id TEXT NOT NULL REFERENCES installations(id),
    kind            TEXT NOT NULL,
    period_start    BIGINT NOT NULL,
    delivery_id     TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (installation_id, kind, period_start)
);

-- Cents drawn from each prepaid balance per period so far, so each run
-- draws only the increment.
CREATE TABLE IF NOT EXISTS balance_draws (
    installation_id TEXT NOT NULL REFERENCES installations(id),
    resource_id     TEXT NOT NULL DEFAULT '',
    period_start    BIGINT NOT NULL,
    cents           BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (installation_id, resource_id, period_start)
);
