package handlers

import (
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// InternalDeps are what the internal API needs; cmd/server wires them.
type InternalDeps struct {
	Log           *slog.Logger
	Tokens        []string // internal_api.tokens; none refuses every request
	Installations installations.Store
	Deliveries    *deliveries.Service
	Events        *db.Events
	Client        *vercelapi.Client // reads (account, member, invoice)
	MaxBodyBytes  int64
	ReadTimeout   time.Duration // bound on one read from Vercel; 10s
}

// InternalAPI is /internal/v1: the partner's own services reach Vercel
// through it without holding a Vercel token (contract section 6).
type InternalAPI struct {
	InternalDeps
	tokenSums [][sha256.Size]byte
}

// NewInternalAPI returns the internal API, to be mounted at /internal/v1.
func NewInternalAPI(d InternalDeps) http.Handler {
	return newInternalAPI(d).routes()
}

func newInternalAPI(d InternalDeps) *InternalAPI {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.MaxBodyBytes <= 0 {
		d.MaxBodyBytes = 1 << 20
	}
	if d.ReadTimeout <= 0 {
		d.ReadTimeout = 10 * time.Second
	}
	a := &InternalAPI{InternalDeps: d}
	for _, t := range d.Tokens {
		if t != "" {
			a.tokenSums = append(a.tokenSums, sha256.Sum256([]byte(t)))
		}
	}
	return a
}

// routes lists every /internal/v1 route; openapi.json documents each one
// (TestOpenAPIDocumentsEveryRoute keeps the two in step).
func (a *InternalAPI) routes() chi.Router {
	r := chi.NewRouter()
	r.Use(LimitBody(a.MaxBodyBytes), a.authenticate)
	r.Get("/openapi.json", a.handleOpenAPI)
	r.Get("/installations", a.handleListInstallations)
	r.Get("/installations/{installationId}", a.handleGetInstallation)
	r.Get("/installations/{installationId}/account", a.handleGetAccount)
	r.Get("/installations/{installationId}/members/{memberId}", a.handleGetMember)
	r.Post("/installations/{installationId}/events", a.handleCreateEvent)
	r.Patch("/installations/{installationId}/resources/{resourceId}", a.handleUpdateResource)
	r.Put("/installations/{installationId}/resources/{resourceId}/secrets", a.handleUpdateSecrets)
	r.Post("/installations/{installationId}/billing", a.handleSubmitBilling)
	r.Post("/installations/{installationId}/invoices", a.handleSubmitInvoice)
	r.Get("/installations/{installationId}/invoices/{invoiceId}", a.handleGetInvoice)
	r.Post("/installations/{installationId}/invoices/{invoiceId}/refund", a.handleRefundInvoice)
	r.Get("/deliveries/{deliveryId}", a.handleGetDelivery)
	r.Get("/events", a.handleEvents)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusNotFound, errorBody{Error: errorDetail{Code: "not_found", Message: "no such route"}})
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusMethodNotAllowed, errorBody{Error: errorDetail{Code: "method_not_allowed", Message: "method not allowed"}})
	})
	return r
}

var errInternalAuth = apperr.New(apperr.Unauthorized, "unauthorized", "a valid internal API bearer token is required")

// authenticate accepts one of internal_api.tokens as a bearer token. The
// comparison is of SHA-256 sums, in constant time, against every
// configured token, so neither length nor position leaks.
func (a *InternalAPI) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
		match := 0
		for _, t := range a.tokenSums {
			match |= subtle.ConstantTimeCompare(sum[:], t[:])
		}
		if !strings.EqualFold(scheme, "Bearer") || token == "" || match != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="internal"`)
			WriteError(w, r, a.Log, errInternalAuth)
			return
		}
		next.ServeHTTP(w, r)
	})
}
