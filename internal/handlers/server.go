// Package handlers is the inbound HTTP adapter: the partner API Vercel
// calls, operations endpoints, and the shared middleware and error envelope.
package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/metrics"
	"github.com/vercel-partner/partner-server/internal/vercelauth"
)

// Deps are what the HTTP surfaces need; cmd/server wires them.
type Deps struct {
	Log           *slog.Logger
	DB            *db.DB
	Installations installations.Store
	Resources     installations.ResourceStore
	Idempotency   *db.Idempotency
	Verifier      *vercelauth.Verifier
	Catalog       installations.Catalog
	Metrics       *metrics.Metrics
	MaxBodyBytes  int64
	// Internal serves /internal/v1 when set.
	Internal http.Handler
	// Browser serves the SSO callback and dashboard when set.
	Browser http.Handler
	// Webhooks serves /webhooks when set.
	Webhooks http.Handler
}

// Server is the partner API and operations surface.
type Server struct {
	Deps
	locks keyLocks
}

// New returns the whole HTTP handler of the server.
func New(d Deps) http.Handler {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.MaxBodyBytes == 0 {
		d.MaxBodyBytes = 1 << 20
	}
	s := &Server{Deps: d}
	return s.routes()
}

func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(Observe(s.Log, s.Metrics), LimitBody(s.MaxBodyBytes))
	r.Get("/healthz", s.handleHealthz)
	r.Get("/readyz", s.handleReadyz)
	if s.Metrics != nil {
		r.Method(http.MethodGet, "/metrics", s.Metrics.Handler())
	}
	r.Route("/v1/installations/{installationId}", func(r chi.Router) {
		idem := idempotent(s.Idempotency, &s.locks, s.Log)
		r.With(s.vercel(readAccess)).Get("/", s.handleGetInstallation)
		r.With(s.vercel(adminWrite), idem).Put("/", s.handleUpsertInstallation)
		r.With(s.vercel(adminWrite), idem).Patch("/", s.handleUpdateInstallation)
		r.With(s.vercel(adminOrSystemWrite), idem).Delete("/", s.handleDeleteInstallation)
	})
	if s.Internal != nil {
		r.Mount("/internal/v1", s.Internal)
	}
	if s.Webhooks != nil {
		r.Mount("/webhooks", s.Webhooks)
	}
	if s.Browser != nil {
		r.Mount("/", s.Browser)
	}
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusNotFound, errorBody{Error: errorDetail{Code: "not_found", Message: "no such route"}})
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusMethodNotAllowed, errorBody{Error: errorDetail{Code: "method_not_allowed", Message: "method not allowed"}})
	})
	return r
}

func (s *Server) vercel(acc access) func(http.Handler) http.Handler {
	return requireVercel(s.Verifier, s.Log, acc)
}

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.DB.PingContext(ctx); err != nil {
		s.Log.WarnContext(ctx, "readiness: database ping failed", "err", err)
		WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
		return
	}
	WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
