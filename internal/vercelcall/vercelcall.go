// Package vercelcall owns every call made to Vercel on behalf of an
// installation: it reads the installation's token, bounds the call in time
// and translates Vercel's answers into the server's error kinds, the one
// place that does.
package vercelcall

import (
	"context"
	"errors"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// Tokens reads an installation's Vercel access token.
type Tokens interface {
	Token(ctx context.Context, installationID string) (string, error)
}

// Caller calls Vercel with installations' tokens.
type Caller struct {
	Client  *vercelapi.Client
	Tokens  Tokens
	Timeout time.Duration // bound on one call; default 10s
}

// New returns a caller over client and tokens.
func New(client *vercelapi.Client, tokens Tokens, timeout time.Duration) *Caller {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	return &Caller{Client: client, Tokens: tokens, Timeout: timeout}
}

// WithClient returns a copy of the caller that uses another client (for
// example one with another retry policy).
func (c *Caller) WithClient(client *vercelapi.Client) *Caller {
	cp := *c
	cp.Client = client
	return &cp
}

// TokenError means the installation's token could not be read: the
// installation is unknown, finalized, or the database failed.
type TokenError struct{ Err error }

func (e *TokenError) Error() string { return "installation token: " + e.Err.Error() }
func (e *TokenError) Unwrap() error { return e.Err }

// Call runs fn with the installation's token under the caller's timeout
// and returns its error untranslated (the delivery queue classifies it).
func (c *Caller) Call(ctx context.Context, installationID string, fn func(ctx context.Context, v *vercelapi.Client, token string) error) error {
	token, err := c.Tokens.Token(ctx, installationID)
	if err != nil {
		return &TokenError{Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	return fn(ctx, c.Client, token)
}

// Do is Call with the error translated into the caller's error.
func (c *Caller) Do(ctx context.Context, installationID string, fn func(ctx context.Context, v *vercelapi.Client, token string) error) error {
	return Error(c.Call(ctx, installationID, fn))
}

// Read calls fn, returning its value with the translated error.
func Read[T any](ctx context.Context, c *Caller, installationID string, fn func(ctx context.Context, v *vercelapi.Client, token string) (T, error)) (T, error) {
	var out T
	err := c.Do(ctx, installationID, func(ctx context.Context, v *vercelapi.Client, token string) (err error) {
		out, err = fn(ctx, v, token)
		return err
	})
	return out, err
}

// IsTemporary reports whether err is worth trying again later: Vercel
// unreachable, overloaded, late, or our database briefly failing.
func IsTemporary(err error) bool {
	if err == nil {
		return false
	}
	if te, ok := errors.AsType[*TokenError](err); ok {
		_, known := errors.AsType[*apperr.Error](te.Err)
		return !known
	}
	return vercelapi.IsRetryable(err) || errors.Is(err, context.DeadlineExceeded)
}

// WithTimeout returns a copy of the caller with another bound per call.
func (c *Caller) WithTimeout(d time.Duration) *Caller {
	cp := *c
	cp.Timeout = d
	return &cp
}
