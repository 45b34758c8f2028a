-- Installations and their encrypted Vercel access tokens.
CREATE TABLE IF NOT EXISTS installations (
    id                TEXT PRIMARY KEY,
    scopes            TEXT NOT NULL,
    accepted_policies TEXT NOT NULL,
    account_name      TEXT NOT NULL DEFAULT '',
    account_url       TEXT NOT NULL,
    contact_email     TEXT NOT NULL,
    contact_name      TEXT NOT NULL DEFAULT '',
    billing_plan_id   TEXT NOT NULL DEFAULT '',
    notification      TEXT NOT NULL DEFAULT '',
    status            TEXT NOT NULL,
    token_type        TEXT NOT NULL DEFAULT '',
    token_ciphertext  TEXT NOT NULL DEFAULT '',
    token_key_id      TEXT NOT NULL DEFAULT '',
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    deleted_at        BIGINT
);

-- Our copy of resources provisioned under an installation.
CREATE TABLE IF NOT EXISTS resources (
    installation_id TEXT NOT NULL REFERENCES installations(id),
    id              TEXT NOT NULL,
    product_id      TEXT NOT NULL,
    name            TEXT NOT NULL,
    metadata        TEXT NOT NULL DEFAULT '{}',
    billing_plan_id TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (installation_id, id)
);

-- Stored first responses of writes that carried an Idempotency-Key.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    scope        TEXT NOT NULL,
    idem_key     TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL,
    body         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (scope, idem_key)
);
