package db

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// Credentials implements installations.CredentialStore: the steps of a
// token rotation, each committed before the next begins. Tokens are
// sealed by the vault, bound to the installation id.
type Credentials struct {
	db    *DB
	vault installations.Sealer
}

// NewCredentials returns the credential store.
func NewCredentials(d *DB, v installations.Sealer) *Credentials { return &Credentials{db: d, vault: v} }

var _ installations.CredentialStore = (*Credentials)(nil)

type rotationRow struct {
	InstallationID string        `db:"installation_id"`
	State          string        `db:"state"`
	LeaseOwner     string        `db:"lease_owner"`
	LeaseUntil     int64         `db:"lease_until"`
	TokenHash      string        `db:"token_hash"`
	StartedAt      int64         `db:"started_at"`
	RotatedAt      sql.NullInt64 `db:"rotated_at"`
	Attempts       int           `db:"attempts"`
	LastError      string        `db:"last_error"`
}

const rotationCols = `installation_id, state, lease_owner, lease_until, token_hash, started_at, rotated_at, attempts, last_error`

func (r rotationRow) domain() installations.Rotation {
	return installations.Rotation{InstallationID: r.InstallationID, State: r.State, LeaseOwner: r.LeaseOwner,
		LeaseUntil: FromMillis(r.LeaseUntil), StartedAt: FromMillis(r.StartedAt), RotatedAt: nullTime(r.RotatedAt),
		Attempts: r.Attempts, LastError: r.LastError}
}

var (
	errRotationRunning = apperr.New(apperr.Conflict, "rotation_in_progress",
		"a rotation of this installation's token is in progress")
	errRevokePending = apperr.New(apperr.Conflict, "rotation_in_progress",
		"the previous rotation is still revoking the old token; try again once it is done")
	errLeaseLost = apperr.New(apperr.Conflict, "rotation_in_progress",
		"another run took this rotation over")
	errTokenReplaced = apperr.New(apperr.Conflict, "token_replaced",
		"the installation's token was replaced (re-installed) during the rotation; the new token was not kept")
)

// tokenHash names a sealed token without revealing it.
func tokenHash(ciphertext string) string {
	sum := sha256.Sum256([]byte(ciphertext))
	return hex.EncodeToString(sum[:])
}

func readRotation(ctx context.Context, q sqlx.QueryerContext, rebind func(string) string, id string) (rotationRow, bool, error) {
	var r rotationRow
	err := sqlx.GetContext(ctx, q, &r, rebind(`SELECT `+rotationCols+` FROM credential_rotations WHERE installation_id = ?`), id)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("read rotation: %w", err)
	}
	return r, true, nil
}

// currentToken reads the sealed token in use (ErrNoToken once wiped).
func currentToken(ctx context.Context, x *sqlx.Tx, id string) (ct, keyID string, err error) {
	var r struct {
		CT    string `db:"token_ciphertext"`
		KeyID string `db:"token_key_id"`
	}
	err = x.GetContext(ctx, &r, x.Rebind(`SELECT token_ciphertext, token_key_id FROM installations WHERE id = ?`), id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", "", apperr.NotFoundf("installation %s not found", id)
	case err != nil:
		return "", "", fmt.Errorf("read token: %w", err)
	case r.CT == "":
		return "", "", ErrNoToken
	}
	return r.CT, r.KeyID, nil
}

// BeginRotation records a started rotation leased to owner, or takes
// over a started one whose lease ran out (its process died).
func (s *Credentials) BeginRotation(ctx context.Context, id, owner string, now, leaseUntil time.Time) (installations.Rotation, error) {
	var out installations.Rotation
	err := s.db.Tx(ctx, func(x *sqlx.Tx) error {
		ct, _, err := currentToken(ctx, x, id)
		if err != nil {
			return err
		}
		cur, ok, err := readRotation(ctx, x, x.Rebind, id)
		switch {
		case err != nil:
			return err
		case ok && cur.State == installations.RotationRotated:
			return errRevokePending
		case ok && cur.LeaseOwner != owner && cur.LeaseUntil >= Millis(now):
			return errRotationRunning
		case ok:
			_, err = x.ExecContext(ctx, x.Rebind(`UPDATE credential_rotations SET lease_owner = ?, lease_until = ?,
				token_hash = ?, attempts = attempts + 1 WHERE installation_id = ?`), owner, Millis(leaseUntil), tokenHash(ct), id)
		default:
			_, err = x.ExecContext(ctx, x.Rebind(`INSERT INTO credential_rotations (installation_id, state, lease_owner,
				lease_until, token_hash, started_at, attempts) VALUES (?, ?, ?, ?, ?, ?, 1)`),
				id, installations.RotationStarted, owner, Millis(leaseUntil), tokenHash(ct), Millis(now))
		}
		if err != nil {
			return fmt.Errorf("begin rotation: %w", err)
		}
		r, _, err := readRotation(ctx, x, x.Rebind, id)
		out = r.domain()
		return err
	})
	return out, err
}

// StoreRotatedToken puts token in use and keeps the old one, as sealed
// already, to be revoked.
func (s *Credentials) StoreRotatedToken(ctx context.Context, id, owner, token string, at time.Time) (installations.Rotation, error) {
	sealed, keyID, err := s.vault.Seal(id, token)
	if err != nil {
		return installations.Rotation{}, fmt.Errorf("seal token: %w", err)
	}
	var out installations.Rotation
	err = s.db.Tx(ctx, func(x *sqlx.Tx) error {
		cur, ok, err := readRotation(ctx, x, x.Rebind, id)
		if err != nil {
			return err
		}
		if !ok || cur.State != installations.RotationStarted || cur.LeaseOwner != owner {
			return errLeaseLost
		}
		oldCT, oldKey, err := currentToken(ctx, x, id)
		if err != nil {
			return err
		}
		if tokenHash(oldCT) != cur.TokenHash {
			return errTokenReplaced
		}
		now := Millis(at)
		if _, err := x.ExecContext(ctx, x.Rebind(`UPDATE installations SET token_ciphertext = ?, token_key_id = ?, updated_at = ?
			WHERE id = ?`), sealed, keyID, now, id); err != nil {
			return fmt.Errorf("store rotated token: %w", err)
		}
		if _, err := x.ExecContext(ctx, x.Rebind(`UPDATE credential_rotations SET state = ?, old_ciphertext = ?, old_key_id = ?,
			rotated_at = ?, lease_owner = '', lease_until = 0, last_error = '' WHERE installation_id = ?`),
			installations.RotationRotated, oldCT, oldKey, now, id); err != nil {
			return fmt.Errorf("record rotation: %w", err)
		}
		r, _, err := readRotation(ctx, x, x.Rebind, id)
		out = r.domain()
		return err
	})
	return out, err
}

// AbandonRotation drops a started rotation owner holds.
func (s *Credentials) AbandonRotation(ctx context.Context, id, owner, reason string) error {
	_, err := s.db.Write(ctx, s.db.Rebind(`DELETE FROM credential_rotations WHERE installation_id = ? AND state = ? AND lease_owner = ?`),
		id, installations.RotationStarted, owner)
	if err != nil {
		return fmt.Errorf("abandon rotation (%s): %w", reason, err)
	}
	return nil
}

// Rotation returns id's rotation in progress.
func (s *Credentials) Rotation(ctx context.Context, id string) (installations.Rotation, error) {
	r, ok, err := readRotation(ctx, s.db.Read, s.db.Rebind, id)
	if err != nil {
		return installations.Rotation{}, err
	}
	if !ok {
		return installations.Rotation{}, apperr.NotFoundf("no rotation of installation %s is in progress", id)
	}
	return r.domain(), nil
}

// Rotations lists every rotation in progress, oldest first.
func (s *Credentials) Rotations(ctx context.Context) ([]installations.Rotation, error) {
	var rows []rotationRow
	if err := s.db.Read.SelectContext(ctx, &rows, `SELECT `+rotationCols+` FROM credential_rotations ORDER BY started_at, installation_id`); err != nil {
		return nil, fmt.Errorf("list rotations: %w", err)
	}
	return domains(rows), nil
}

// OldToken opens the token a rotated rotation superseded.
func (s *Credentials) OldToken(ctx context.Context, id string) (string, error) {
	var r struct {
		CT    string `db:"old_ciphertext"`
		KeyID string `db:"old_key_id"`
	}
	err := s.db.Read.GetContext(ctx, &r, s.db.Rebind(`SELECT old_ciphertext, old_key_id FROM credential_rotations
		WHERE installation_id = ? AND state = ?`), id, installations.RotationRotated)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && r.CT == "") {
		return "", apperr.NotFoundf("installation %s has no superseded token", id)
	}
	if err != nil {
		return "", fmt.Errorf("read superseded token: %w", err)
	}
	return s.vault.Open(id, r.CT, r.KeyID)
}

// NoteRevokeFailure records why the old token is not revoked yet.
func (s *Credentials) NoteRevokeFailure(ctx context.Context, id, reason string) error {
	_, err := s.db.Write(ctx, s.db.Rebind(`UPDATE credential_rotations SET attempts = attempts + 1, last_error = ?
		WHERE installation_id = ?`), reason, id)
	if err != nil {
		return fmt.Errorf("record revoke failure: %w", err)
	}
	return nil
}

// FinishRotation wipes the old token with the rotation, and puts
// installation.credential_rotated on the feed, once.
func (s *Credentials) FinishRotation(ctx context.Context, id string, revoked bool, at time.Time) (bool, error) {
	done := false
	err := s.db.Tx(ctx, func(x *sqlx.Tx) error {
		cur, ok, err := readRotation(ctx, x, x.Rebind, id)
		if err != nil || !ok || cur.State != installations.RotationRotated {
			return err
		}
		res, err := x.ExecContext(ctx, x.Rebind(`DELETE FROM credential_rotations WHERE installation_id = ? AND state = ?`),
			id, installations.RotationRotated)
		if err != nil {
			return fmt.Errorf("finish rotation: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		done = true
		rotatedAt := FromMillis(cur.RotatedAt.Int64).UTC().Format(time.RFC3339Nano)
		return appendEvent(ctx, x, installations.NewEvent{Type: installations.EventCredentialRotated, InstallationID: id,
			Subject: id, Data: map[string]any{"rotatedAt": rotatedAt, "revoked": revoked}}, at)
	})
	return done, err
}
