// Package partnerapi is the partner API Vercel calls (/v1/...): every
// request carries a Vercel-signed token, verified and checked against the
// path's installation before a handler runs.
package partnerapi

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/handlers"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/provisioning"
	"github.com/vercel-partner/partner-server/internal/vercelauth"
	"github.com/vercel-partner/partner-server/internal/vercelcall"
)

// Deps are what the partner API needs; the app wires them.
type Deps struct {
	Log           *slog.Logger
	Installations installations.Store
	Resources     installations.ResourceStore
	Catalog       installations.Catalog
	Verifier      *vercelauth.Verifier
	Idempotency   *handlers.Idempotency
	Balances      installations.BalanceStore
	// Tx runs fn in one database transaction (db.DB.InTx).
	Tx func(ctx context.Context, fn func(installations.Tx) error) error
	// Vercel reads invoices for credit purchases.
	Vercel *vercelcall.Caller
	// Hook is the provisioning hook; nil is feed mode.
	Hook *provisioning.Client
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
		r.With(adminOrSystem, idem).Post("/billing/provision", s.handleProvisionPurchase)
	})
	r.NotFound(handlers.NotFound)
	r.MethodNotAllowed(handlers.MethodNotAllowed)
	return r
}

// vercel checks the path's ids (all of them are known once the route
// matched) and then the Vercel token.
func (s *Server) vercel(acc access) func(http.Handler) http.Handler {
	ids, auth := checkPathIDs(s.Log), requireVercel(s.Verifier, s.Log, acc)
	return func(next http.Handler) http.Handler { return ids(auth(next)) }
}

// checkPathIDs refuses malformed ids in the path before anything else.
func checkPathIDs(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := handlers.CheckPathIDs(r); err != nil {
				handlers.WriteError(w, r, log, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
