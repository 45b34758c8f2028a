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
	Log *slog.Logger
	// The use cases Vercel's calls run (usecases.go).
	Installations Installations
	Resources     Resources
	Transfers     Transfers
	Catalog       installations.Catalog // plans and the views' billing plans
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
	// Product plans may come before any installation exists: no path
	// installation to match, the token's (if any) picks private plans.
	r.With(s.vercel(readAccess)).Get("/products/{productId}/plans", s.handleProductPlans)
	r.Route("/installations/{installationId}", func(r chi.Router) {
		read, admin, adminOrSystem := s.vercel(readAccess), s.vercel(adminWrite), s.vercel(adminOrSystemWrite)
		r.With(read).Get("/", s.handleGetInstallation)
		r.With(admin, idem).Put("/", s.handleUpsertInstallation)
		r.With(admin, idem).Patch("/", s.handleUpdateInstallation)
		r.With(adminOrSystem, idem).Delete("/", s.handleDeleteInstallation)
		r.With(read).Get("/plans", s.handleInstallationPlans)
		r.With(admin, idem).Post("/resources", s.handleProvision)
		r.With(read).Get("/resources/{resourceId}", s.handleGetResource)
		r.With(admin, idem).Patch("/resources/{resourceId}", s.handleUpdateResource)
		r.With(adminOrSystem, idem).Delete("/resources/{resourceId}", s.handleDeleteResource)
		r.With(read).Get("/resources/{resourceId}/plans", s.handleResourcePlans)
		r.With(adminOrSystem, idem).Post("/resources/{resourceId}/secrets/rotate", s.handleRotateSecrets)
		r.With(read).Post("/resources/{resourceId}/repl", s.handleREPL)
		r.With(adminOrSystem, idem).Post("/billing/provision", s.handleProvisionPurchase)
		r.With(adminOrSystem, idem).Post("/resource-transfer-requests", s.handleCreateTransfer)
		r.With(read).Get("/resource-transfer-requests/{claimId}/verify", s.handleVerifyTransfer)
		r.With(adminOrSystem, idem).Post("/resource-transfer-requests/{claimId}/accept", s.handleAcceptTransfer)
	})
	r.NotFound(handlers.NotFound)
	r.MethodNotAllowed(handlers.MethodNotAllowed)
	return r
}

// vercel checks the Vercel token and the claim rules of acc.
func (s *Server) vercel(acc access) func(http.Handler) http.Handler {
	return requireVercel(s.Verifier, s.Log, acc)
}
