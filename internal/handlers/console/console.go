// Package console is the staff console at /console: the partner's own
// support and billing people find installations, follow deliveries and
// webhooks, read the audit log and act (refunds, retries, token
// rotation...). It signs staff in with the partner's OpenID Connect
// provider (internal/staff), keeps its own cookie and sessions apart from
// the customers' dashboard, and calls the same use cases as the internal
// API. Every action is recorded in the audit log.
package console

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/handlers"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/staff"
)

// Deps are what the console needs; the app wires them.
type Deps struct {
	Log         *slog.Logger
	PublicURL   string // its scheme decides Secure cookies; its origin is the only one forms may come from
	ProductName string // shown in the header; default "Partner"
	SignIn      SignIn
	Sessions    *staff.Sessions
	// Reads.
	Installations installations.Store
	Directory     installations.Directory
	Invoices      installations.InvoiceStore
	Webhooks      installations.WebhookLog
	Audit         installations.AuditStore
	// The use cases (usecases.go, state.go).
	Resources     Resources
	Lifecycle     Lifecycle
	Deliveries    Deliveries
	Billing       Billing
	Pushes        Pushes // optional: retry and cancel of event pushes
	Notifications Notifications
	Suspensions   Suspensions
	Credentials   Credentials
	Now           func() time.Time // default time.Now
}

// Console serves /console.
type Console struct {
	Deps
	origin *url.URL
	secure bool
	pages  *pages
	// logins bounds the sign-ins one address can start: each keeps a row
	// until its callback or expiry.
	logins *handlers.RateLimiter
}

// New parses the templates once and returns the console, to be mounted
// at /console.
func New(d Deps) (http.Handler, error) {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.ProductName == "" {
		d.ProductName = "Partner"
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	switch {
	case d.SignIn == nil, d.Sessions == nil, d.Installations == nil, d.Directory == nil, d.Invoices == nil,
		d.Webhooks == nil, d.Audit == nil, d.Resources == nil, d.Lifecycle == nil, d.Deliveries == nil, d.Billing == nil,
		d.Notifications == nil, d.Suspensions == nil, d.Credentials == nil:
		return nil, errors.New("console: missing dependency")
	}
	origin, err := handlers.OriginOf(d.PublicURL)
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	p, err := parsePages()
	if err != nil {
		return nil, err
	}
	c := &Console{Deps: d, origin: origin, secure: origin.Scheme == "https",
		pages: p, logins: handlers.NewRateLimiter(20, 3*time.Second)}
	return c.routes(), nil
}

// routes lists every console route. Pages need a session; actions need
// an operator's.
func (c *Console) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(securityHeaders)
	r.Get("/login", c.handleLogin)
	r.Get("/callback", c.handleCallback)
	r.Post("/logout", c.handleLogout)
	r.Get("/signed-out", c.handleSignedOut)
	r.Get("/static/console.css", c.handleStyle)
	r.Group(func(r chi.Router) {
		r.Use(c.requireSession)
		r.Get("/", c.handleInstallations)
		r.Get("/installations/{installationId}", c.handleInstallation)
		r.Get("/deliveries", c.handleDeliveries)
		r.Get("/webhooks", c.handleWebhooks)
		r.Get("/audit", c.handleAudit)
		r.Group(func(r chi.Router) {
			r.Use(c.requireOperator)
			r.Post("/installations/{installationId}/invoices/{invoiceId}/refund", c.handleRefund)
			r.Post("/installations/{installationId}/billing/periods/{period}/retry", c.handleRequeue)
			r.Post("/deliveries/{deliveryId}/retry", c.handleRetry)
			r.Post("/deliveries/{deliveryId}/cancel", c.handleCancel)
			r.Post("/installations/{installationId}/notification", c.handleSetNotification)
			r.Post("/installations/{installationId}/notification/clear", c.handleClearNotification)
			r.Post("/installations/{installationId}/resources/{resourceId}/notification", c.handleSetNotification)
			r.Post("/installations/{installationId}/resources/{resourceId}/notification/clear", c.handleClearNotification)
			r.Post("/installations/{installationId}/resources/{resourceId}/suspend", c.handleSuspend)
			r.Post("/installations/{installationId}/resources/{resourceId}/resume", c.handleResume)
			r.Post("/installations/{installationId}/credentials/rotate", c.handleRotate)
		})
	})
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		c.renderError(w, r, http.StatusNotFound, "Not found", "There is no console page at this address.")
	})
	r.MethodNotAllowed(handlers.MethodNotAllowedPage(r, func(w http.ResponseWriter, req *http.Request) {
		c.renderError(w, req, http.StatusMethodNotAllowed, "Not allowed", "This address does not accept that kind of request.")
	}))
	return handlers.SameOriginForms(r, c.origin, c.Log, securityHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.renderError(w, r, http.StatusForbidden, "Request refused", "This form was sent from another site.")
	})))
}

// contentSecurityPolicy allows no script, styles from us, forms posting
// to us only, no framing.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// securityHeaders sets the browser safety headers. The callback's URL
// carries the provider's code: it is sent as no one's referrer.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Referrer-Policy", "same-origin")
		if strings.HasSuffix(r.URL.Path, "/callback") {
			h.Set("Referrer-Policy", "no-referrer")
		}
		if !strings.HasSuffix(r.URL.Path, "/static/console.css") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}
