-- An idempotency claim records what retries need: ref, chosen at the first
-- claim and kept by every takeover (what the request creates is named from
-- it); owner, the current claim (only its answer is kept); and deadline,
-- after which the claim's request can no longer be running and a retry may
-- take it over.
ALTER TABLE idempotency_keys ADD COLUMN ref TEXT NOT NULL DEFAULT '';

ALTER TABLE idempotency_keys ADD COLUMN owner TEXT NOT NULL DEFAULT '';

ALTER TABLE idempotency_keys ADD COLUMN deadline BIGINT NOT NULL DEFAULT 0;

-- Claims made before this version were held for one minute.
UPDATE idempotency_keys SET deadline = created_at + 60000 WHERE status = 0;
