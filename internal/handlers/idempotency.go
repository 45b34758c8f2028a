package handlers

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// Idempotency makes writes that carry an Idempotency-Key safe to repeat,
// on every replica: the key is claimed with a row in the database, a
// repeat of the same request (method, path and body) gets the first
// answer, another request under the same key gets 409, and a repeat that
// arrives while the first still runs waits for its answer.
//
// A claimed request runs for at most Bound (its context ends then), and
// its claim is held a margin longer: only then, when the request provably
// no longer runs, may a retry take the claim over. The claim's Ref stays
// the same across takeovers, so what a retry creates has the first try's
// names; and only the current claim's answer is ever kept.
type Idempotency struct {
	Store installations.IdempotencyStore
	Log   *slog.Logger
	// Wait bounds how long a concurrent repeat waits; default 10s.
	Wait time.Duration
	// Bound is the longest a request under a key may run; default 1m. It
	// must cover the slowest call a request makes (the provisioning hook's
	// timeout) and its database work.
	Bound time.Duration
}

// HoldMargin is how much longer than its request's Bound a claim is held:
// for clocks that differ between replicas and a commit in flight at the
// deadline (whose answer the claim's owner fences anyway).
const HoldMargin = 10 * time.Second

// Middleware wraps the writes of one surface; scope names the surface and
// the installation of the path (keys are per installation).
func (m *Idempotency) Middleware(scope func(r *http.Request) string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			key := r.Header.Get("Idempotency-Key")
			if key == "" {
				next.ServeHTTP(w, r)
				return
			}
			if err := installations.IdempotencyKey(key); err != nil {
				WriteError(w, r, m.Log, err)
				return
			}
			body, err := ReadBody(r)
			if err != nil {
				WriteError(w, r, m.Log, err)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			m.serve(w, r, next, scope(r), key, requestHash(r, body))
		})
	}
}

func requestHash(r *http.Request, body []byte) string {
	h := sha256.New()
	io.WriteString(h, r.Method+" "+r.URL.EscapedPath()+"\n")
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

var errKeyReused = apperr.New(apperr.Conflict, "idempotency_key_reused",
	"this Idempotency-Key was used with a different request")

func (m *Idempotency) serve(w http.ResponseWriter, r *http.Request, next http.Handler, scope, key, hash string) {
	wait, bound := cmp.Or(m.Wait, 10*time.Second), cmp.Or(m.Bound, time.Minute)
	deadline := time.Now().Add(wait)
	for pause := 5 * time.Millisecond; ; pause = min(pause*2, 200*time.Millisecond) {
		now := time.Now()
		c, err := m.Store.ClaimKey(r.Context(), scope, key, hash, now, bound+HoldMargin)
		switch {
		case err != nil:
			WriteError(w, r, m.Log, err)
			return
		case !c.Owned && c.Response.RequestHash != hash:
			WriteError(w, r, m.Log, errKeyReused)
			return
		case c.Done:
			replay(w, c.Response)
			return
		case c.Owned:
			ctx, cancel := context.WithDeadline(r.Context(), now.Add(bound))
			defer cancel()
			m.run(w, r.WithContext(ctx), next, &claimed{store: m.Store, scope: scope, key: key, hash: hash, ref: c.Ref, owner: c.Owner})
			return
		}
		if time.Now().After(deadline) {
			WriteError(w, r, m.Log, apperr.New(apperr.Conflict, "idempotency_key_in_use",
				"a request with this Idempotency-Key is still running; retry later"))
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-time.After(pause):
		}
	}
}

// run serves the request that owns the claim and keeps its answer, unless
// the use case kept it already with its effect; a 5xx answer is not kept,
// so the request may be retried (under the same Ref).
func (m *Idempotency) run(w http.ResponseWriter, r *http.Request, next http.Handler, c *claimed) {
	rec := NewRecorder(w, true)
	next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), idemKey{}, c)))
	// The request's context may have ended; the claim's bookkeeping may not.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 10*time.Second)
	defer cancel()
	if rec.Status() >= 500 {
		if err := m.Store.ReleaseKey(ctx, c.scope, c.key, c.owner); err != nil && m.Log != nil {
			m.Log.ErrorContext(ctx, "release idempotency key", "err", err)
		}
		return
	}
	resp := installations.IdempotentResponse{RequestHash: c.hash, Status: rec.Status(), Body: rec.Body()}
	if err := m.Store.CompleteKey(ctx, c.scope, c.key, c.owner, resp); err != nil && m.Log != nil {
		m.Log.ErrorContext(ctx, "store idempotent response", "err", err)
	}
}

// claimed is the claim a request runs under.
type claimed struct {
	store                        installations.IdempotencyStore
	scope, key, hash, ref, owner string
}

type idemKey struct{}

// IdempotencyKey is the Idempotency-Key the request claimed, scoped to
// its surface and installation ("" without one). A handler passes it to
// the one write the request makes, so a retry that takes an abandoned
// claim over finds that write instead of making it twice.
func IdempotencyKey(r *http.Request) string {
	if c, ok := r.Context().Value(idemKey{}).(*claimed); ok {
		return c.scope + " " + c.key
	}
	return ""
}

// Answer is a handler's answer: a status and a body encoded as JSON (none
// when nil).
type Answer struct {
	Status int
	Body   any
}

// Write writes the answer.
func (a Answer) Write(w http.ResponseWriter) {
	if a.Body == nil {
		w.WriteHeader(a.Status)
		return
	}
	WriteJSON(w, a.Status, a.Body)
}

// Keyed is the request's claimed key for a use case whose outcome, of
// type T, render turns into the answer: the use case keeps that answer in
// the transaction of its effect (installations.KeyClaim.Keep), so a retry
// finds it and runs nothing. The handler writes render's answer for the
// same outcome. Without a key it is the zero KeyClaim.
func Keyed[T any](r *http.Request, render func(T) Answer) installations.KeyClaim {
	c, ok := r.Context().Value(idemKey{}).(*claimed)
	if !ok {
		return installations.KeyClaim{}
	}
	return installations.NewKeyClaim(c.scope+" "+c.key, c.key, c.ref, func(ctx context.Context, tx installations.Tx, outcome any) error {
		v, ok := outcome.(T)
		if !ok {
			return fmt.Errorf("idempotency: the outcome is a %T, not a %T", outcome, v)
		}
		resp, err := response(render(v))
		if err != nil {
			return err
		}
		resp.RequestHash = c.hash
		return c.store.KeepAnswer(ctx, tx, c.scope, c.key, c.owner, resp)
	})
}

// response is a as Answer.Write writes it.
func response(a Answer) (installations.IdempotentResponse, error) {
	if a.Body == nil {
		return installations.IdempotentResponse{Status: a.Status}, nil
	}
	data, err := json.Marshal(a.Body)
	if err != nil {
		return installations.IdempotentResponse{}, fmt.Errorf("idempotency: encode answer: %w", err)
	}
	return installations.IdempotentResponse{Status: a.Status, Body: string(append(data, '\n'))}, nil
}

func replay(w http.ResponseWriter, prev installations.IdempotentResponse) {
	if prev.Body != "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.Header().Set("Idempotent-Replayed", "true")
	w.WriteHeader(prev.Status)
	io.WriteString(w, prev.Body)
}
