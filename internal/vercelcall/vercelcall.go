// Package vercelcall owns every call made to Vercel on behalf of an
// installation. A Caller hands out per-installation values
// (caller.For(installationID)) whose typed methods read the
// installation's token themselves and bound each call in time, so no
// surface ever holds the client or a token. Classify is the one place
// that says what an answer means: its kind for the caller, whether it is
// worth trying again, whether Vercel refused the token.
package vercelcall

import (
	"context"
	"time"

	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// DefaultTimeout bounds one call when the caller names no bound.
const DefaultTimeout = 10 * time.Second

// Tokens reads an installation's Vercel access token.
type Tokens interface {
	Token(ctx context.Context, installationID string) (string, error)
}

// Caller calls Vercel with installations' tokens.
type Caller struct {
	client  *vercelapi.Client
	tokens  Tokens
	timeout time.Duration
}

// New returns a caller over client and tokens; timeout bounds one call
// (DefaultTimeout when not positive).
func New(client *vercelapi.Client, tokens Tokens, timeout time.Duration) *Caller {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Caller{client: client, tokens: tokens, timeout: timeout}
}

// WithRetry returns a copy of the caller whose calls are retried inside
// one method call according to p; RetryPolicy{MaxAttempts: 1} makes
// single attempts for a caller that schedules retries itself.
func (c *Caller) WithRetry(p vercelapi.RetryPolicy) *Caller {
	cp := *c
	cp.client = c.client.WithRetryPolicy(p)
	return &cp
}

// WithTimeout returns a copy of the caller with another bound per call.
func (c *Caller) WithTimeout(d time.Duration) *Caller {
	cp := *c
	cp.timeout = d
	return &cp
}

// For returns the calls for one installation.
func (c *Caller) For(installationID string) Installation {
	return Installation{c: c, id: installationID}
}

// ForToken returns the calls for one installation with its token, which
// the caller read in the transaction it just committed (the delivery
// queue records a write and reads the token in one transaction, so its
// first attempt needs no read of its own). An empty token is read as
// For reads it.
func (c *Caller) ForToken(installationID, token string) Installation {
	return Installation{c: c, id: installationID, token: token}
}

// TokenError means the installation's token could not be read (the
// installation is unknown, finalized, or the database failed): Vercel was
// not called.
type TokenError struct{ Err error }

func (e *TokenError) Error() string { return "installation token: " + e.Err.Error() }
func (e *TokenError) Unwrap() error { return e.Err }

// call runs fn with the installation's token under the caller's timeout.
// Its error is Vercel's answer (or the transport's) untranslated: see
// Classify and Error.
func call[T any](ctx context.Context, v Installation, fn func(ctx context.Context, c *vercelapi.Client, token string) (T, error)) (T, error) {
	token := v.token
	if token == "" {
		var err error
		if token, err = v.c.tokens.Token(ctx, v.id); err != nil {
			var zero T
			return zero, &TokenError{Err: err}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, v.c.timeout)
	defer cancel()
	return fn(ctx, v.c.client, token)
}

// none adapts a call without an answer body to call.
func none(fn func(ctx context.Context, c *vercelapi.Client, token string) error) func(context.Context, *vercelapi.Client, string) (struct{}, error) {
	return func(ctx context.Context, c *vercelapi.Client, token string) (struct{}, error) {
		return struct{}{}, fn(ctx, c, token)
	}
}
