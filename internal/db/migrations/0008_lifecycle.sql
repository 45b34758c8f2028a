-- Prepaid balances in integer cents, per resource ('' = the installation).
CREATE TABLE IF NOT EXISTS balances (
    installation_id TEXT NOT NULL REFERENCES installations(id),
    resource_id     TEXT NOT NULL DEFAULT '',
    cents           BIGINT NOT NULL DEFAULT 0,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (installation_id, resource_id)
);

-- One row per credited invoice: its key makes a credit happen once, and
-- answer keeps the balances it left, for repeats.
CREATE TABLE IF NOT EXISTS balance_credits (
    installation_id TEXT NOT NULL REFERENCES installations(id),
    invoice_id      TEXT NOT NULL,
    answer          TEXT NOT NULL DEFAULT '[]',
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (installation_id, invoice_id)
);
