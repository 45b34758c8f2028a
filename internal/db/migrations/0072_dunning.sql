-- Dunning: one case per invoice Vercel could not charge. first_failed_at
-- starts the grace; escalated_at is set once the grace ran out (the
-- installation's paid resources were suspended); paid_at closes it.
-- known: we had a record of the invoice before its first failure.
CREATE TABLE IF NOT EXISTS dunning_cases (
    installation_id TEXT NOT NULL REFERENCES installations(id),
    invoice_id      TEXT NOT NULL,
    known           BOOLEAN NOT NULL,
    failures        INTEGER NOT NULL DEFAULT 1,
    last_kind       TEXT NOT NULL,
    first_failed_at BIGINT NOT NULL,
    escalated_at    BIGINT,
    paid_at         BIGINT,
    PRIMARY KEY (installation_id, invoice_id)
);

-- The resources dunning suspended, so that a payment resumes those and
-- no others (a resource suspended for another reason stays so).
CREATE TABLE IF NOT EXISTS dunning_suspensions (
    installation_id TEXT NOT NULL REFERENCES installations(id),
    resource_id     TEXT NOT NULL,
    invoice_id      TEXT NOT NULL,
    suspended_at    BIGINT NOT NULL,
    PRIMARY KEY (installation_id, resource_id)
);

-- The notification dunning last put on the installation, so that it
-- clears its own and leaves one the partner set since.
CREATE TABLE IF NOT EXISTS dunning_notices (
    installation_id TEXT PRIMARY KEY REFERENCES installations(id),
    notification    TEXT NOT NULL
);
