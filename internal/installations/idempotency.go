package installations

import (
	"context"
	"time"
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
}

// IdempotencyStore records idempotency keys in the database, so that
// every replica sees the same claims.
type IdempotencyStore interface {
	// ClaimKey takes scope+key for a request with requestHash, unless a
	// live claim or a finished answer holds it. A claim older than
	// staleAfter that never finished is taken over.
	ClaimKey(ctx context.Context, scope, key, requestHash string, now time.Time, staleAfter time.Duration) (Claim, error)
	// CompleteKey stores the answer of the request that owns the claim.
	CompleteKey(ctx context.Context, scope, key string, r IdempotentResponse) error
	// ReleaseKey drops an unfinished claim, so the request may be retried.
	ReleaseKey(ctx context.Context, scope, key string) error
}
