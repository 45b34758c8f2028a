package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/vercel-partner/partner-server/internal/installations"
)

// Idempotency implements installations.IdempotencyStore. A key is claimed
// with a row (status 0 while its request runs); the unique primary key
// makes the claim exclusive across replicas.
type Idempotency struct {
	db *DB
}

// NewIdempotency returns the idempotency store.
func NewIdempotency(d *DB) *Idempotency { return &Idempotency{db: d} }

type idemRow struct {
	RequestHash string `db:"request_hash"`
	Status      int    `db:"status"`
	Body        string `db:"body"`
	CreatedAt   int64  `db:"created_at"`
}

// ClaimKey implements installations.IdempotencyStore.
func (s *Idempotency) ClaimKey(ctx context.Context, scope, key, hash string, now time.Time, staleAfter time.Duration) (installations.Claim, error) {
	res, err := s.db.Write(ctx, s.db.Rebind(`INSERT INTO idempotency_keys
		(scope, idem_key, request_hash, status, body, created_at) VALUES (?, ?, ?, 0, '', ?)
		ON CONFLICT (scope, idem_key) DO NOTHING`), scope, key, hash, Millis(now))
	if err != nil {
		return installations.Claim{}, fmt.Errorf("claim idempotency key: %w", unavailable(err))
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return installations.Claim{Owned: true}, nil
	}
	var r idemRow
	err = s.db.GetContext(ctx, &r, s.db.Rebind(`SELECT request_hash, status, body, created_at FROM idempotency_keys
		WHERE scope = ? AND idem_key = ?`), scope, key)
	if errors.Is(err, sql.ErrNoRows) {
		// Released between the insert and the read: neither owned nor
		// done, so the caller claims again after its pause.
		return installations.Claim{Response: installations.IdempotentResponse{RequestHash: hash}}, nil
	}
	if err != nil {
		return installations.Claim{}, fmt.Errorf("read idempotency key: %w", unavailable(err))
	}
	c := installations.Claim{Done: r.Status != 0,
		Response: installations.IdempotentResponse{RequestHash: r.RequestHash, Status: r.Status, Body: r.Body}}
	if c.Done || now.Sub(FromMillis(r.CreatedAt)) < staleAfter || r.RequestHash != hash {
		return c, nil
	}
	// An abandoned claim (its request died): take it over.
	res, err = s.db.Write(ctx, s.db.Rebind(`UPDATE idempotency_keys SET created_at = ?
		WHERE scope = ? AND idem_key = ? AND status = 0 AND created_at = ?`), Millis(now), scope, key, r.CreatedAt)
	if err != nil {
		return installations.Claim{}, fmt.Errorf("take over idempotency key: %w", unavailable(err))
	}
	n, _ := res.RowsAffected()
	c.Owned = n == 1
	return c, nil
}

// CompleteKey implements installations.IdempotencyStore.
func (s *Idempotency) CompleteKey(ctx context.Context, scope, key string, r installations.IdempotentResponse) error {
	_, err := s.db.Write(ctx, s.db.Rebind(`UPDATE idempotency_keys SET status = ?, body = ?
		WHERE scope = ? AND idem_key = ? AND status = 0`), r.Status, r.Body, scope, key)
	if err != nil {
		return fmt.Errorf("complete idempotency key: %w", err)
	}
	return nil
}

// ReleaseKey implements installations.IdempotencyStore.
func (s *Idempotency) ReleaseKey(ctx context.Context, scope, key string) error {
	_, err := s.db.Write(ctx, s.db.Rebind(`DELETE FROM idempotency_keys WHERE scope = ? AND idem_key = ? AND status = 0`), scope, key)
	if err != nil {
		return fmt.Errorf("release idempotency key: %w", err)
	}
	return nil
}
