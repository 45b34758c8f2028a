-- Transfer requests (Vercel's Claim Deployments): resources of a source
-- installation offered to whichever installation accepts the claim before
-- it expires. accepted_at and the target are set once, in the transaction
-- that moves the resources.
CREATE TABLE IF NOT EXISTS transfer_claims (
    id                     TEXT PRIMARY KEY,
    source_installation_id TEXT NOT NULL REFERENCES installations(id),
    expires_at             BIGINT NOT NULL,
    created_at             BIGINT NOT NULL,
    target_installation_id TEXT NOT NULL DEFAULT '',
    accepted_at            BIGINT
);

CREATE TABLE IF NOT EXISTS transfer_claim_resources (
    claim_id    TEXT NOT NULL REFERENCES transfer_claims(id),
    resource_id TEXT NOT NULL,
    position    INTEGER NOT NULL,
    PRIMARY KEY (claim_id, resource_id)
);

CREATE INDEX IF NOT EXISTS transfer_claim_resources_resource ON transfer_claim_resources (resource_id);

-- A resource the partner created itself says how (owned, linked, sandbox);
-- a linked one is billed outside Vercel.
ALTER TABLE resources ADD COLUMN ownership TEXT NOT NULL DEFAULT '';

-- When a transfer brought the resource to its installation: it is billed
-- there from then on. What the source keeps for billing says the same.
ALTER TABLE resources ADD COLUMN arrived_at BIGINT;

ALTER TABLE deleted_resources ADD COLUMN arrived_at BIGINT;
