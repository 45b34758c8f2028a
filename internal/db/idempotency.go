package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// IdempotentResponse is the first response to a write with an Idempotency-Key.
type IdempotentResponse struct {
	RequestHash string `db:"request_hash"`
	Status      int    `db:"status"`
	Body        string `db:"body"`
}

// Idempotency stores first responses, keyed by scope and key.
type Idempotency struct {
	db *DB
}

// NewIdempotency returns the idempotency store.
func NewIdempotency(d *DB) *Idempotency { return &Idempotency{db: d} }

// Get returns the stored response, or ok=false when the key is new.
func (s *Idempotency) Get(ctx context.Context, scope, key string) (IdempotentResponse, bool, error) {
	var r IdempotentResponse
	err := s.db.GetContext(ctx, &r, s.db.Rebind(`SELECT request_hash, status, body FROM idempotency_keys
		WHERE scope = ? AND idem_key = ?`), scope, key)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("get idempotency key: %w", err)
	}
	return r, true, nil
}

// Put stores the first response; a later Put for the same key is ignored.
func (s *Idempotency) Put(ctx context.Context, scope, key string, r IdempotentResponse) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO idempotency_keys
		(scope, idem_key, request_hash, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (scope, idem_key) DO NOTHING`), scope, key, r.RequestHash, r.Status, r.Body, Millis(time.Now()))
	if err != nil {
		return fmt.Errorf("put idempotency key: %w", err)
	}
	return nil
}
