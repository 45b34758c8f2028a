-- A rotation of an installation's access token in progress. state
-- 'started': rotateInstallationCredential may have been called, the
-- token in use is still the old one; the lease keeps a second rotation
-- out. 'rotated': the new token is in use and the old one waits, sealed
-- here, to be revoked. The row goes once the old token is revoked.
CREATE TABLE IF NOT EXISTS credential_rotations (
    installation_id  TEXT PRIMARY KEY REFERENCES installations(id),
    state            TEXT NOT NULL,
    lease_owner      TEXT NOT NULL DEFAULT '',
    lease_until      BIGINT NOT NULL DEFAULT 0,
    token_hash       TEXT NOT NULL DEFAULT '',
    old_ciphertext   TEXT NOT NULL DEFAULT '',
    old_key_id       TEXT NOT NULL DEFAULT '',
    started_at       BIGINT NOT NULL,
    rotated_at       BIGINT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT NOT NULL DEFAULT ''
);
