-- What is kept of a deleted resource: it is still billed for the part of
-- each period it lived. Only billing reads this table; every other surface
-- sees the resource gone.
CREATE TABLE IF NOT EXISTS deleted_resources (
    installation_id TEXT NOT NULL REFERENCES installations(id),
    id              TEXT NOT NULL,
    product_id      TEXT NOT NULL,
    name            TEXT NOT NULL,
    billing_plan_id TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    deleted_at      BIGINT NOT NULL,
    PRIMARY KEY (installation_id, id, deleted_at)
);

-- The part of a period's prepaid amount the balance could not cover: a
-- balance never goes below zero.
ALTER TABLE balance_draws ADD COLUMN uncovered BIGINT NOT NULL DEFAULT 0;

-- An invoice Vercel refused can be queued again by an operator: the run
-- then names the new delivery, and keeps the one refused last.
ALTER TABLE invoice_runs ADD COLUMN requeues INTEGER NOT NULL DEFAULT 0;

ALTER TABLE invoice_runs ADD COLUMN previous_delivery_id TEXT NOT NULL DEFAULT '';
