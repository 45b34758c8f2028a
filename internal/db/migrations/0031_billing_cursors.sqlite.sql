-- Per installation, the start of the oldest billing period not yet settled
-- (invoiced, or found to owe nothing): after an outage the autopilot
-- invoices every ended period from there on, oldest first.
CREATE TABLE IF NOT EXISTS billing_cursors (
    installation_id TEXT PRIMARY KEY REFERENCES installations(id),
    next_period     BIGINT NOT NULL
);

-- Earlier versions invoiced only the previous month, so every period
-- before the previous month of the upgrade counts as settled.
INSERT INTO billing_cursors (installation_id, next_period)
    SELECT id, CAST(strftime('%s', 'now', 'start of month', '-1 month') AS INTEGER) * 1000
    FROM installations WHERE status <> 'deleted';
