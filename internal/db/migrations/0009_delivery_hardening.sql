-- leases counts how often a delivery was handed out for an attempt, so a
-- later attempt knows an earlier one may have reached Vercel; repeats
-- counts consecutive failures with the same answer from Vercel.
ALTER TABLE deliveries ADD COLUMN leases INTEGER NOT NULL DEFAULT 0;

ALTER TABLE deliveries ADD COLUMN repeats INTEGER NOT NULL DEFAULT 0;

-- One row that readiness rewrites to prove a write can commit.
CREATE TABLE IF NOT EXISTS health (
    id         INTEGER PRIMARY KEY,
    checked_at BIGINT NOT NULL
);
