package handlers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"hash/fnv"
	"io"
	"log/slog"
	"net/http"
	"sync"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/db"
)

// maxIdempotencyKey bounds the Idempotency-Key header.
const maxIdempotencyKey = 255

// keyLocks serialises requests that share an idempotency key in this process.
type keyLocks [64]sync.Mutex

func (l *keyLocks) lock(key string) func() {
	h := fnv.New32a()
	h.Write([]byte(key))
	m := &l[h.Sum32()%uint32(len(l))]
	m.Lock()
	return m.Unlock
}

type captureWriter struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func (c *captureWriter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *captureWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	c.buf.Write(b)
	return c.ResponseWriter.Write(b)
}

// idempotent replays the stored first response of a write that repeats an
// Idempotency-Key within the installation; 5xx answers are not stored, so
// they may be retried.
func idempotent(store *db.Idempotency, locks *keyLocks, log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			key := r.Header.Get("Idempotency-Key")
			if key == "" {
				next.ServeHTTP(w, r)
				return
			}
			if len(key) > maxIdempotencyKey {
				WriteError(w, r, log, apperr.InvalidFields("Idempotency-Key is too long",
					apperr.Field{Key: "Idempotency-Key", Message: "at most 255 characters"}))
				return
			}
			body, err := ReadBody(r)
			if err != nil {
				WriteError(w, r, log, err)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			scope := "v1:" + chi.URLParam(r, "installationId")
			defer locks.lock(scope + "\x00" + key)()
			if prev, ok, err := store.Get(r.Context(), scope, key); err != nil {
				WriteError(w, r, log, err)
				return
			} else if ok {
				replay(w, prev)
				return
			}
			cw := &captureWriter{ResponseWriter: w}
			next.ServeHTTP(cw, r)
			if cw.status < 500 {
				sum := sha256.Sum256(append([]byte(r.Method+" "+r.URL.Path+"\n"), body...))
				rec := db.IdempotentResponse{RequestHash: hex.EncodeToString(sum[:]), Status: cw.status, Body: cw.buf.String()}
				if err := store.Put(r.Context(), scope, key, rec); err != nil {
					log.ErrorContext(r.Context(), "store idempotent response", "err", err)
				}
			}
		})
	}
}

func replay(w http.ResponseWriter, prev db.IdempotentResponse) {
	if prev.Body != "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.Header().Set("Idempotent-Replayed", "true")
	w.WriteHeader(prev.Status)
	io.WriteString(w, prev.Body)
}
