package db

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/vercel-partner/partner-server/internal/installations"
)

// Idempotency implements installations.IdempotencyStore. A key is claimed
// with a row (status 0 while its request runs); the unique primary key
// makes the claim exclusive across replicas, and owner fences the answer:
// only the current claim's is kept.
type Idempotency struct {
	db *DB
}

// NewIdempotency returns the idempotency store.
func NewIdempotency(d *DB) *Idempotency { return &Idempotency{db: d} }

type idemRow struct {
	RequestHash string `db:"request_hash"`
	Status      int    `db:"status"`
	Body        string `db:"body"`
	Ref         string `db:"ref"`
	Owner       string `db:"owner"`
	Deadline    int64  `db:"deadline"`
}

// ClaimKey implements installations.IdempotencyStore.
func (s *Idempotency) ClaimKey(ctx context.Context, scope, key, hash string, now time.Time, hold time.Duration) (installations.Claim, error) {
	ref, owner := rand.Text(), rand.Text()
	res, err := s.db.Write(ctx, s.db.Rebind(`INSERT INTO idempotency_keys
		(scope, idem_key, request_hash, status, body, created_at, ref, owner, deadline) VALUES (?, ?, ?, 0, '', ?, ?, ?, ?)
		ON CONFLICT (scope, idem_key) DO NOTHING`), scope, key, hash, Millis(now), ref, owner, Millis(now.Add(hold)))
	if err != nil {
		return installations.Claim{}, fmt.Errorf("claim idempotency key: %w", unavailable(err))
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return installations.Claim{Owned: true, Ref: ref, Owner: owner}, nil
	}
	var r idemRow
	err = s.db.GetContext(ctx, &r, s.db.Rebind(`SELECT request_hash, status, body, ref, owner, deadline FROM idempotency_keys
		WHERE scope = ? AND idem_key = ?`), scope, key)
	if errors.Is(err, sql.ErrNoRows) {
		// Deleted between the insert and the read: neither owned nor
		// done, so the caller claims again after its pause.
		return installations.Claim{Response: installations.IdempotentResponse{RequestHash: hash}}, nil
	}
	if err != nil {
		return installations.Claim{}, fmt.Errorf("read idempotency key: %w", unavailable(err))
	}
	c := installations.Claim{Done: r.Status != 0, Ref: r.Ref,
		Response: installations.IdempotentResponse{RequestHash: r.RequestHash, Status: r.Status, Body: r.Body}}
	if c.Done || Millis(now) < r.Deadline || r.RequestHash != hash {
		return c, nil
	}
	// The claim's request can no longer be running: take it over, keeping
	// its ref (a claim from before refs were kept gets one now).
	if c.Ref == "" {
		c.Ref = ref
	}
	res, err = s.db.Write(ctx, s.db.Rebind(`UPDATE idempotency_keys SET owner = ?, ref = ?, deadline = ?
		WHERE scope = ? AND idem_key = ? AND status = 0 AND owner = ?`), owner, c.Ref, Millis(now.Add(hold)), scope, key, r.Owner)
	if err != nil {
		return installations.Claim{}, fmt.Errorf("take over idempotency key: %w", unavailable(err))
	}
	if n, _ := res.RowsAffected(); n == 1 {
		c.Owned, c.Owner = true, owner
	}
	return c, nil
}

// CompleteKey implements installations.IdempotencyStore.
func (s *Idempotency) CompleteKey(ctx context.Context, scope, key, owner string, r installations.IdempotentResponse) error {
	_, err := s.db.Write(ctx, s.db.Rebind(completeKey), r.Status, r.Body, scope, key, owner)
	if err != nil {
		return fmt.Errorf("complete idempotency key: %w", err)
	}
	return nil
}

const completeKey = `UPDATE idempotency_keys SET status = ?, body = ? WHERE scope = ? AND idem_key = ? AND status = 0 AND owner = ?`

// KeepAnswer implements installations.IdempotencyStore.
func (s *Idempotency) KeepAnswer(ctx context.Context, t installations.Tx, scope, key, owner string, r installations.IdempotentResponse) error {
	return t.KeepAnswer(ctx, scope, key, owner, r)
}

// keepAnswer stores the answer in x, or fails with ErrClaimLost when the
// claim is no longer owner's (taken over, or already answered).
func keepAnswer(ctx context.Context, x *sqlx.Tx, scope, key, owner string, r installations.IdempotentResponse) error {
	res, err := x.ExecContext(ctx, x.Rebind(completeKey), r.Status, r.Body, scope, key, owner)
	if err != nil {
		return fmt.Errorf("keep idempotent answer: %w", unavailable(err))
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return installations.ErrClaimLost
	}
	return nil
}

// ReleaseKey implements installations.IdempotencyStore: the claim stays,
// with its ref and request, and may be taken over at once.
func (s *Idempotency) ReleaseKey(ctx context.Context, scope, key, owner string) error {
	_, err := s.db.Write(ctx, s.db.Rebind(`UPDATE idempotency_keys SET deadline = 0
		WHERE scope = ? AND idem_key = ? AND status = 0 AND owner = ?`), scope, key, owner)
	if err != nil {
		return fmt.Errorf("release idempotency key: %w", err)
	}
	return nil
}
