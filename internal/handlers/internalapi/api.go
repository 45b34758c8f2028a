package internalapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/autopilot"
	"github.com/vercel-partner/partner-server/internal/handlers"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelcall"
)

// Token is one accepted bearer token and the name the audit log records
// for it (never the token).
type Token struct {
	Name   string
	Secret string
}

// Deps are what the internal API needs; the app wires them.
type Deps struct {
	Log           *slog.Logger
	Tokens        []Token // internal_api.tokens; none refuses every request
	Installations installations.Store
	Invoices      installations.InvoiceStore
	Events        installations.EventStore
	// Audit records every write and serves GET /audit.
	Audit installations.AuditStore
	// The use cases (usecases.go).
	Resources       Resources
	Experimentation Experimentation
	Lifecycle       Lifecycle
	Deliveries      Deliveries
	Deployments     Deployments
	Notifications   Notifications
	Credentials     Credentials
	Pushes          Pushes             // the event push's records; ids start "push_"
	Vercel          *vercelcall.Caller // reads (account, member, invoice)
	Idempotency     *handlers.Idempotency
	Autopilot       *autopilot.Autopilot
	// AllowClockOverride lets POST /billing/run name its time.
	AllowClockOverride bool
	// Now is the billing clock; default time.Now.
	Now func() time.Time
}

// API is /internal/v1: the partner's own services reach Vercel through it
// without holding a Vercel token.
type API struct {
	Deps
	tokenSums  [][sha256.Size]byte
	tokenNames []string
}

// New returns the internal API, to be mounted at /internal/v1.
func New(d Deps) http.Handler {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	a := &API{Deps: d}
	for _, t := range d.Tokens {
		if t.Secret != "" {
			a.tokenSums = append(a.tokenSums, sha256.Sum256([]byte(t.Secret)))
			a.tokenNames = append(a.tokenNames, t.Name)
		}
	}
	return a.routes()
}

// routes lists every /internal/v1 route; openapi.json documents each one
// (TestOpenAPIDocumentsEveryRoute keeps the two in step).
func (a *API) routes() chi.Router {
	r := chi.NewRouter()
	r.Use(a.authenticate, handlers.CheckPath(a.Log), a.audit)
	idem := a.Idempotency.Middleware(func(r *http.Request) string {
		return "internal:" + chi.URLParam(r, "installationId")
	})
	r.Get("/openapi.json", a.handleOpenAPI)
	r.Get("/installations", a.handleListInstallations)
	r.Get("/installations/{installationId}", a.handleGetInstallation)
	r.Get("/installations/{installationId}/account", a.handleGetAccount)
	r.Get("/installations/{installationId}/members/{memberId}", a.handleGetMember)
	r.Get("/installations/{installationId}/invoices", a.handleListInvoices)
	r.Get("/installations/{installationId}/invoices/{invoiceId}", a.handleGetInvoice)
	r.Get("/installations/{installationId}/resources", a.handleListResources)
	r.Get("/installations/{installationId}/resources/{resourceId}", a.handleGetResource)
	r.Get("/installations/{installationId}/usage", a.handleGetUsage)
	r.Post("/installations/{installationId}/usage", a.handleAddUsage)
	r.Post("/billing/run", a.handleBillingRun)
	r.Get("/installations/{installationId}/billing/periods", a.handleInvoicePeriods)
	r.Post("/installations/{installationId}/billing/periods/{period}/retry", a.handleRequeueInvoice)
	r.Get("/deliveries/{deliveryId}", a.handleGetDelivery)
	r.Post("/deliveries/{deliveryId}/retry", a.handleRetryDelivery)
	r.Post("/deliveries/{deliveryId}/cancel", a.handleCancelDelivery)
	r.Get("/events", a.handleEvents)
	r.Get("/audit", a.handleAudit)
	r.Get("/installations/{installationId}/deployments/{deploymentId}", a.handleGetDeployment)
	r.Group(func(r chi.Router) {
		r.Use(idem)
		r.Post("/installations/{installationId}/events", a.handleCreateEvent)
		r.Patch("/installations/{installationId}/resources/{resourceId}", a.handleUpdateResource)
		r.Put("/installations/{installationId}/resources/{resourceId}", a.handleImportResource)
		r.Delete("/installations/{installationId}/resources/{resourceId}", a.handleRemoveResource)
		r.Put("/installations/{installationId}/resources/{resourceId}/secrets", a.handleUpdateSecrets)
		r.Post("/installations/{installationId}/billing", a.handleSubmitBilling)
		r.Post("/installations/{installationId}/invoices", a.handleSubmitInvoice)
		r.Post("/installations/{installationId}/invoices/{invoiceId}/refund", a.handleRefundInvoice)
		r.Post("/installations/{installationId}/balances", a.handleSubmitBalances)
		r.Post("/installations/{installationId}/finalize", a.handleFinalize)
		r.Patch("/installations/{installationId}/deployments/{deploymentId}/actions/{resourceId}/{action}", a.handleCompleteAction)
		r.Patch("/installations/{installationId}/deployments/{deploymentId}/check-runs/{checkRunId}", a.handleCompleteCheckRun)
		r.Put("/installations/{installationId}/notification", a.handleSetInstallationNotification)
		r.Delete("/installations/{installationId}/notification", a.handleClearInstallationNotification)
		r.Put("/installations/{installationId}/resources/{resourceId}/notification", a.handleSetResourceNotification)
		r.Delete("/installations/{installationId}/resources/{resourceId}/notification", a.handleClearResourceNotification)
		r.Post("/installations/{installationId}/resources/{resourceId}/suspend", a.handleSuspendResource)
		r.Post("/installations/{installationId}/resources/{resourceId}/resume", a.handleResumeResource)
		r.Post("/installations/{installationId}/credentials/rotate", a.handleRotateCredentials)
		a.experimentationRoutes(r)
	})
	r.Get("/installations/{installationId}/resources/{resourceId}/experimentation/global-config", a.handleGetGlobalConfig)
	r.NotFound(handlers.NotFound)
	r.MethodNotAllowed(handlers.MethodNotAllowed)
	return r
}

var errInternalAuth = apperr.New(apperr.Unauthorized, "unauthorized", "a valid internal API bearer token is required")

// authenticate accepts one of internal_api.tokens as a bearer token and
// puts its name on the request for the audit log. The comparison is of
// SHA-256 sums, in constant time, against every configured token, so
// neither length nor position leaks.
func (a *API) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
		match, which := 0, 0
		for i, t := range a.tokenSums {
			eq := subtle.ConstantTimeCompare(sum[:], t[:])
			match |= eq
			which = subtle.ConstantTimeSelect(eq, i, which)
		}
		if !strings.EqualFold(scheme, "Bearer") || token == "" || match != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="internal"`)
			handlers.WriteError(w, r, a.Log, errInternalAuth)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tokenNameKey{}, a.tokenNames[which])))
	})
}

type tokenNameKey struct{}

// tokenName is the name of the token the request came with.
func tokenName(r *http.Request) string {
	n, _ := r.Context().Value(tokenNameKey{}).(string)
	return n
}
