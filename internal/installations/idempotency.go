package installations

import (
	"context"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
)

// IdempotentResponse is the first answer to a write that carried an
// Idempotency-Key, kept so a repeat gets the same answer.
type IdempotentResponse struct {
	RequestHash string
	Status      int
	Body        string
}

// Claim is the outcome of claiming an idempotency key.
type Claim struct {
	// Owned is true when this request claimed the key and must run.
	Owned bool
	// Done is true when an earlier request finished; Response is its answer.
	Done     bool
	Response IdempotentResponse
	// Ref is chosen when the key is first claimed and stays the same for
	// every request that runs under it: what the request creates is named
	// from it, so a retry names the same things.
	Ref string
	// Owner identifies this claim among the takeovers of one key: only
	// the owner's answer is kept.
	Owner string
}

// IdempotencyStore records idempotency keys in the database, so that
// every replica sees the same claims.
type IdempotencyStore interface {
	// ClaimKey takes scope+key for a request with requestHash, unless a
	// live claim or a finished answer holds it. The claim holds the key
	// for hold: only after that is an unfinished claim taken over (by the
	// same request only), keeping its Ref.
	ClaimKey(ctx context.Context, scope, key, requestHash string, now time.Time, hold time.Duration) (Claim, error)
	// CompleteKey stores the answer of the request that owns the claim;
	// it does nothing when the claim was taken over or is finished.
	CompleteKey(ctx context.Context, scope, key, owner string, r IdempotentResponse) error
	// KeepAnswer is CompleteKey inside tx, where the answer's effect is
	// made: ErrClaimLost when the claim is no longer owner's, so the
	// effect does not commit.
	KeepAnswer(ctx context.Context, tx Tx, scope, key, owner string, r IdempotentResponse) error
	// ReleaseKey ends an unfinished claim at once, so the same request may
	// be retried (under the same Ref).
	ReleaseKey(ctx context.Context, scope, key, owner string) error
}

// ErrClaimLost: the request's idempotency claim was taken over by a retry,
// so what the request did must not commit.
var ErrClaimLost = apperr.New(apperr.Conflict, "idempotency_key_in_use",
	"a retry with this Idempotency-Key took over this request; retry later")

// KeyClaim is a request's claimed Idempotency-Key as a use case sees it;
// the zero value is a request without one.
type KeyClaim struct {
	Name string // the surface's scope and the key: unique per installation
	Key  string // as the caller sent it
	Ref  string // the claim's Ref: the same for every retry under the key
	keep func(ctx context.Context, tx Tx, outcome any) error
}

// NewKeyClaim is a claimed key whose answer keep stores, made from the
// use case's outcome.
func NewKeyClaim(name, key, ref string, keep func(ctx context.Context, tx Tx, outcome any) error) KeyClaim {
	return KeyClaim{Name: name, Key: key, Ref: ref, keep: keep}
}

// Keep stores the request's answer, made from the use case's outcome, in
// tx, so the effect and its answer commit together: a retry then finds
// the answer and runs nothing. It fails with ErrClaimLost when a retry
// took the claim over. Without a key it does nothing.
func (k KeyClaim) Keep(ctx context.Context, tx Tx, outcome any) error {
	if k.keep == nil {
		return nil
	}
	return k.keep(ctx, tx, outcome)
}
