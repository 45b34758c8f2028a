package main

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/vercel-partner/partner-server/internal/config"
	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/handlers"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/sso"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelauth"
)

// browserRetry keeps a person's page waits short: one quick retry of a
// failed read; writes go through the delivery queue instead.
var browserRetry = vercelapi.RetryPolicy{MaxAttempts: 2, InitialInterval: 200 * time.Millisecond, MaxInterval: time.Second, Jitter: 100 * time.Millisecond}

// newBrowser wires "Open in Provider" sign-in and the dashboard. actions
// is the durable delivery queue (installations.Actions).
func newBrowser(cfg *config.Config, log *slog.Logger, d *db.DB, store installations.Store,
	verifier *vercelauth.Verifier, actions installations.Actions, vercel *vercelapi.Client) (http.Handler, error) {
	client := vercel.WithRetryPolicy(browserRetry)
	catalog := cfg.Catalog()
	product := "Partner"
	if len(catalog) > 0 && catalog[0].Name != "" {
		product = catalog[0].Name
	}
	return handlers.NewBrowser(handlers.BrowserDeps{
		Log:         log,
		PublicURL:   cfg.PublicURL,
		ProductName: product,
		Flow: &sso.Flow{
			Vercel: client, Verifier: verifier, Installations: store,
			ClientID: cfg.Vercel.ClientID, ClientSecret: cfg.Vercel.ClientSecret, Log: log,
		},
		Sessions:      &sso.Sessions{Store: db.NewSessions(d), IdleTimeout: cfg.Sessions.IdleTimeout, MaxAge: cfg.Sessions.MaxAge},
		Installations: store,
		Resources:     db.NewResources(d),
		Invoices:      db.NewInvoices(d),
		Catalog:       catalog,
		Vercel:        client,
		Actions:       actions,
	})
}
