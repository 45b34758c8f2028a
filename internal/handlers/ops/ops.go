// Package ops serves the operators' routes: liveness, readiness and
// Prometheus metrics.
package ops

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/handlers"
)

// Pinger is the database as readiness sees it.
type Pinger interface {
	PingContext(ctx context.Context) error
}

// Deps are what the operations routes need.
type Deps struct {
	Log     *slog.Logger
	DB      Pinger
	Metrics http.Handler // optional
}

// Routes adds /healthz, /readyz and /metrics to r.
func Routes(r chi.Router, d Deps) {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) {
		handlers.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	r.Get("/readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := d.DB.PingContext(ctx); err != nil {
			d.Log.WarnContext(ctx, "readiness: database ping failed", "err", err)
			handlers.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
			return
		}
		handlers.WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	if d.Metrics != nil {
		r.Method(http.MethodGet, "/metrics", d.Metrics)
	}
}
