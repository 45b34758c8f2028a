package main

import (
	"log/slog"
	"net/http"

	"github.com/vercel-partner/partner-server/internal/config"
	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/handlers"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/metrics"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// newDeliveries wires the durable delivery queue (which also implements
// installations.Actions for the dashboard) and the internal API over it.
func newDeliveries(cfg *config.Config, log *slog.Logger, d *db.DB, store installations.Store,
	vault *installations.Vault, m *metrics.Metrics, client *vercelapi.Client) (*deliveries.Service, http.Handler) {
	svc := deliveries.New(deliveries.Deps{
		DB: d, Installations: store, Resources: db.NewResources(d), Invoices: db.NewInvoices(d),
		Vault: vault, Client: client, Metrics: m, Log: log,
	}, deliveries.Options{
		FirstAttemptTimeout: cfg.Deliveries.FirstAttemptTimeout,
		MaxAge:              cfg.Deliveries.MaxAge,
		Workers:             cfg.Deliveries.Workers,
		PollInterval:        cfg.Deliveries.PollInterval,
	})
	api := handlers.NewInternalAPI(handlers.InternalDeps{
		Log: log, Tokens: cfg.InternalAPI.Tokens, Installations: store, Deliveries: svc,
		Events: db.NewEvents(d), Client: client, MaxBodyBytes: cfg.MaxBodyBytes,
	})
	return svc, api
}
