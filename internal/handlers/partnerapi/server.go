// Package partnerapi is the partner API Vercel calls (/v1/...): every
// request carries a Vercel-signed token, verified and checked against the
// path's installation before a handler runs.
package partnerapi

import (
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/handlers"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelauth"
)

// Deps are what the partner API needs; the app wires them.
type Deps struct {
	Log           *slog.Logger
	Installations installations.Store
	Resources     installations.ResourceStore
	Catalog       installations.Catalog
	Verifier      *vercelauth.Verifier
	Idempotency   *handlers.Idempotency
}

// Server is the partner API.
type Server struct {
	Deps
}

// New returns the partner API handler, to be mounted at /v1.
func New(d Deps) http.Handler {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{Deps: d}
	return s.routes()
}

// routes lists every partner-API route.
func (s *Server) routes() chi.Router {
	r := chi.NewRouter()
	r.Use(handlers.CheckPath(s.Log))
	idem := s.Idempotency.Middleware(func(r *http.Request) string {
		return "v1:" + chi.URLParam(r, "installationId")
	})
	r.Route("/installations/{installationId}", func(r chi.Router) {
		r.With(s.vercel(readAccess)).Get("/", s.handleGetInstallation)
		r.With(s.vercel(adminWrite), idem).Put("/", s.handleUpsertInstallation)
		r.With(s.vercel(adminWrite), idem).Patch("/", s.handleUpdateInstallation)
		r.With(s.vercel(adminOrSystemWrite), idem).Delete("/", s.handleDeleteInstallation)
	})
	r.NotFound(handlers.NotFound)
	r.MethodNotAllowed(handlers.MethodNotAllowed)
	return r
}

func (s *Server) vercel(acc access) func(http.Handler) http.Handler {
	return requireVercel(s.Verifier, s.Log, acc)
}
