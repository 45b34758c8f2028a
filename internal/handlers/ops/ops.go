// Package ops serves the operators' routes: liveness, readiness and
// Prometheus metrics.
package ops

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/handlers"
)

// Database is the database as readiness sees it.
type Database interface {
	PingContext(ctx context.Context) error
	// CheckWrite commits a small write, proving the disk and the file work.
	CheckWrite(ctx context.Context) error
}

// Deps are what the operations routes need.
type Deps struct {
	Log *slog.Logger
	DB  Database
	// WriteCheckEvery rate-limits the write check; default 5s.
	WriteCheckEvery time.Duration
	Metrics         http.Handler // optional
}

// Routes adds /healthz, /readyz and /metrics to r.
func Routes(r chi.Router, d Deps) {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) {
		handlers.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	ready := &readiness{d: d}
	r.Get("/readyz", ready.handle)
	if d.Metrics != nil {
		r.Method(http.MethodGet, "/metrics", d.Metrics)
	}
}

// readiness answers /readyz: the database must answer and, at most once
// per WriteCheckEvery, prove that a write commits (a full disk or a
// corrupt file lets pings through but fails every write).
type readiness struct {
	d       Deps
	mu      sync.Mutex
	checked time.Time
	lastErr error
}

func (rd *readiness) handle(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	err := rd.d.DB.PingContext(ctx)
	if err == nil {
		err = rd.writeCheck(ctx)
	}
	if err != nil {
		rd.d.Log.ErrorContext(ctx, "readiness: the database cannot take writes", "err", err)
		handlers.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
		return
	}
	handlers.WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (rd *readiness) writeCheck(ctx context.Context) error {
	every := rd.d.WriteCheckEvery
	if every <= 0 {
		every = 5 * time.Second
	}
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if !rd.checked.IsZero() && time.Since(rd.checked) < every {
		return rd.lastErr
	}
	rd.lastErr, rd.checked = rd.d.DB.CheckWrite(ctx), time.Now()
	return rd.lastErr
}
