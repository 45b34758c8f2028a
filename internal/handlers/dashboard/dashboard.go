package dashboard

import (
	"context"

	"github.com/vercel-partner/partner-server/internal/handlers"
	"github.com/vercel-partner/partner-server/internal/resources"

	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/sso"
	"github.com/vercel-partner/partner-server/internal/vercelcall"
)

// Support says how members reach the partner and where the sign-in page
// sends a visitor without a session.
type Support struct {
	Email     string
	URL       string
	VercelURL string
}

// Deps are what the SSO callback and the dashboard need.
type Deps struct {
	Log           *slog.Logger
	PublicURL     string // its scheme decides Secure cookies; its origin bounds `url` deep links
	ProductName   string // shown in the header; default "Partner"
	Flow          *sso.Flow
	Sessions      *sso.Sessions
	Installations installations.Store
	Resources     installations.ResourceStore
	Invoices      installations.InvoiceStore
	Items         installations.ExperimentationStore // optional: experimentation item pages
	Catalog       installations.Catalog
	Vercel        *vercelcall.Caller // reads; writes go through the use cases below
	// ResourceActions renames, changes plans and renews secrets.
	ResourceActions *resources.Service
	// Deployments finds check runs for their pages (optional).
	Deployments CheckRuns
	Support     Support
	AccountTTL  time.Duration            // how long getAccountInfo answers are reused; default 1 minute
	Usage       installations.UsageStore // the usage ledger, for the open period
	// Billing tells whether the open period is invoiced already.
	Billing installations.BillingStore
	// Projects lists the Vercel projects a resource is connected to.
	Projects ProjectLister
	Now      func() time.Time // the billing clock; default time.Now
}

// ProjectLister lists the projects a resource is connected to, as
// Vercel's project-connected webhooks recorded them.
type ProjectLister interface {
	ListResourceProjects(ctx context.Context, installationID, resourceID string) ([]installations.ResourceProject, error)
}

// Browser serves "Open in Provider" sign-in and the dashboard.
type Browser struct {
	Deps
	origin   *url.URL
	secure   bool
	pages    *pages
	accounts *accountCache
	linker   *Linker
	// exchanges bounds the code exchanges one address can start.
	exchanges *handlers.RateLimiter
}

// New parses the templates once and returns the browser surface.
func New(d Deps) (http.Handler, error) {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.ProductName == "" {
		d.ProductName = "Partner"
	}
	if d.AccountTTL == 0 {
		d.AccountTTL = time.Minute
	}
	switch {
	case d.Flow == nil, d.Sessions == nil, d.Installations == nil, d.Resources == nil,
		d.Invoices == nil, d.Vercel == nil, d.ResourceActions == nil:
		return nil, errors.New("browser: missing dependency")
	}
	origin, err := handlers.OriginOf(d.PublicURL)
	if err != nil {
		return nil, fmt.Errorf("browser: %w", err)
	}
	p, err := parsePages()
	if err != nil {
		return nil, err
	}
	b := &Browser{
		Deps:      d,
		origin:    origin,
		secure:    origin.Scheme == "https",
		pages:     p,
		accounts:  newAccountCache(d.AccountTTL),
		exchanges: handlers.NewRateLimiter(20, 3*time.Second),
		linker:    &Linker{Origin: origin, Resources: d.Resources, Invoices: d.Invoices, Items: d.Items, Checks: d.Deployments},
	}
	return b.routes(), nil
}

// routes lists every browser route.
func (b *Browser) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(securityHeaders)
	r.Get("/", b.handleRoot)
	r.Get("/callback", b.handleCallback)
	r.Get("/signin", b.handleSignIn)
	r.Post("/logout", b.handleLogout)
	r.Get("/static/style.css", b.handleStyle)
	r.Route("/dashboard", func(r chi.Router) {
		r.Use(b.requireSession)
		r.Get("/", b.handleOverview)
		r.Get("/resources", b.handleResources)
		r.Get("/resources/{resourceId}", b.handleResource)
		r.With(b.requireAdmin).Post("/resources/{resourceId}/rename", b.handleRename)
		r.With(b.requireAdmin).Post("/resources/{resourceId}/plan", b.handleChangePlan)
		r.With(b.requireAdmin).Get("/resources/{resourceId}/rotate", b.handleRotateConfirm)
		r.With(b.requireAdmin).Post("/resources/{resourceId}/rotate", b.handleRotate)
		r.Get("/invoices", b.handleInvoices)
		r.Get("/invoices/{invoiceId}", b.handleInvoice)
		r.Get("/support", b.handleSupport)
		r.Get("/checks/{checkRunId}", b.handleCheck)
		r.Get("/items/{itemId}", b.handleItem)
	})
	r.NotFound(b.handleNotFound)
	r.MethodNotAllowed(handlers.MethodNotAllowedPage(r, func(w http.ResponseWriter, req *http.Request) {
		b.renderError(w, req, http.StatusMethodNotAllowed, "Not allowed", "This address does not accept that kind of request.")
	}))
	return handlers.SameOriginForms(r, b.origin, b.Log, securityHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.renderError(w, r, http.StatusForbidden, "Request refused", "This form was sent from another site.")
	})))
}

func (b *Browser) handleRoot(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, PathDashboard, http.StatusSeeOther)
}

// handleNotFound answers HTML to browsers and the JSON envelope to API
// clients, since the browser surface is mounted at "/".
func (b *Browser) handleNotFound(w http.ResponseWriter, r *http.Request) {
	if !strings.Contains(r.Header.Get("Accept"), "text/html") {
		handlers.NotFound(w, r)
		return
	}
	b.renderError(w, r, http.StatusNotFound, "Page not found", "There is no page at this address.")
}
