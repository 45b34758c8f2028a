package vault

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vercel-partner/partner-server/internal/installations"
)

const sealedPrefix = "sealed:"

// SealedIdempotency keeps the stored answers of an IdempotencyStore
// encrypted: a provision's first answer carries secret values, which must
// be replayed to a retry but never rest in the database in plain text.
type SealedIdempotency struct {
	Store installations.IdempotencyStore
	Vault *Vault
}

var _ installations.IdempotencyStore = (*SealedIdempotency)(nil)

// ClaimKey implements IdempotencyStore, opening a finished answer.
func (s *SealedIdempotency) ClaimKey(ctx context.Context, scope, key, requestHash string, now time.Time, hold time.Duration) (installations.Claim, error) {
	c, err := s.Store.ClaimKey(ctx, scope, key, requestHash, now, hold)
	if err != nil || !c.Done {
		return c, err
	}
	rest, ok := strings.CutPrefix(c.Response.Body, sealedPrefix)
	if !ok {
		return c, nil // kept before sealing: as stored
	}
	keyID, ct, _ := strings.Cut(rest, ":")
	if c.Response.Body, err = s.Vault.Open(aad(scope, key), ct, keyID); err != nil {
		return installations.Claim{}, fmt.Errorf("open idempotent answer: %w", err)
	}
	return c, nil
}

// CompleteKey implements IdempotencyStore, sealing the answer.
func (s *SealedIdempotency) CompleteKey(ctx context.Context, scope, key, owner string, r installations.IdempotentResponse) error {
	r, err := s.seal(scope, key, r)
	if err != nil {
		return err
	}
	return s.Store.CompleteKey(ctx, scope, key, owner, r)
}

// KeepAnswer implements IdempotencyStore, sealing the answer.
func (s *SealedIdempotency) KeepAnswer(ctx context.Context, tx installations.Tx, scope, key, owner string, r installations.IdempotentResponse) error {
	r, err := s.seal(scope, key, r)
	if err != nil {
		return err
	}
	return s.Store.KeepAnswer(ctx, tx, scope, key, owner, r)
}

func (s *SealedIdempotency) seal(scope, key string, r installations.IdempotentResponse) (installations.IdempotentResponse, error) {
	if r.Body == "" {
		return r, nil
	}
	ct, keyID, err := s.Vault.Seal(aad(scope, key), r.Body)
	if err != nil {
		return r, fmt.Errorf("seal idempotent answer: %w", err)
	}
	r.Body = sealedPrefix + keyID + ":" + ct
	return r, nil
}

// ReleaseKey implements IdempotencyStore.
func (s *SealedIdempotency) ReleaseKey(ctx context.Context, scope, key, owner string) error {
	return s.Store.ReleaseKey(ctx, scope, key, owner)
}

// aad binds a sealed answer to its scope and key.
func aad(scope, key string) string { return "idempotency\x00" + scope + "\x00" + key }
