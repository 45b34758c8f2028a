package handlers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
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
type Idempotency struct {
	Store installations.IdempotencyStore
	Log   *slog.Logger
	// Wait bounds how long a concurrent repeat waits; default 10s.
	Wait time.Duration
	// StaleAfter is when an unfinished claim counts as abandoned; default 1m.
	StaleAfter time.Duration
}

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
	wait, stale := m.Wait, m.StaleAfter
	if wait <= 0 {
		wait = 10 * time.Second
	}
	if stale <= 0 {
		stale = time.Minute
	}
	deadline := time.Now().Add(wait)
	for pause := 5 * time.Millisecond; ; pause = min(pause*2, 200*time.Millisecond) {
		c, err := m.Store.ClaimKey(r.Context(), scope, key, hash, time.Now(), stale)
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
			m.run(w, r, next, scope, key, hash)
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

// run serves the request that owns the claim and keeps its answer; a 5xx
// answer is not kept, so the request may be retried.
func (m *Idempotency) run(w http.ResponseWriter, r *http.Request, next http.Handler, scope, key, hash string) {
	rec := NewRecorder(w, true)
	next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), idemKey{}, scope+" "+key)))
	if rec.Status() >= 500 {
		if err := m.Store.ReleaseKey(r.Context(), scope, key); err != nil && m.Log != nil {
			m.Log.ErrorContext(r.Context(), "release idempotency key", "err", err)
		}
		return
	}
	resp := installations.IdempotentResponse{RequestHash: hash, Status: rec.Status(), Body: rec.Body()}
	if err := m.Store.CompleteKey(r.Context(), scope, key, resp); err != nil && m.Log != nil {
		m.Log.ErrorContext(r.Context(), "store idempotent response", "err", err)
	}
}

type idemKey struct{}

// IdempotencyKey is the Idempotency-Key the request claimed, scoped to
// its surface and installation ("" without one). A handler passes it to
// the one write the request makes, so a retry that takes an abandoned
// claim over finds that write instead of making it twice.
func IdempotencyKey(r *http.Request) string {
	k, _ := r.Context().Value(idemKey{}).(string)
	return k
}

func replay(w http.ResponseWriter, prev installations.IdempotentResponse) {
	if prev.Body != "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.Header().Set("Idempotent-Replayed", "true")
	w.WriteHeader(prev.Status)
	io.WriteString(w, prev.Body)
}
