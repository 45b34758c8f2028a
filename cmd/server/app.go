package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"

	"github.com/vercel-partner/partner-server/internal/config"
	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/handlers"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/metrics"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelauth"
)

// app is the wired server: storage, stores, verifier and HTTP handler.
type app struct {
	log        *slog.Logger
	db         *db.DB
	handler    http.Handler
	cancel     context.CancelFunc
	deliveryWG sync.WaitGroup
}

func newApp(ctx context.Context, cfg *config.Config, log *slog.Logger) (*app, error) {
	vault, err := newVault(cfg)
	if err != nil {
		return nil, err
	}
	d, err := db.Open(ctx, cfg.Database.Driver, cfg.Database.DSN)
	if err != nil {
		return nil, err
	}
	// One client (one connection pool) for every call to Vercel.
	client, err := vercelapi.NewClient(cfg.Vercel.APIURL, vercelapi.WithVersion(Version()))
	if err != nil {
		d.Close()
		return nil, err
	}
	bg, cancel := context.WithCancel(context.Background())
	a := &app{log: log, db: d, cancel: cancel}
	m := metrics.New()
	installs := db.NewInstallations(d, vault)
	actions, internalAPI := newDeliveries(cfg, log, d, installs, vault, m, client)
	verifier := vercelauth.NewVerifier(bg, cfg.Vercel.Issuer, cfg.Vercel.JWKSURL, cfg.Vercel.ClientID, nil)
	browser, err := newBrowser(cfg, log, d, installs, verifier, actions, client)
	if err != nil {
		cancel()
		d.Close()
		return nil, err
	}
	a.deliveryWG.Go(func() { actions.Run(bg) })
	a.handler = handlers.New(handlers.Deps{
		Log:           log,
		DB:            d,
		Installations: installs,
		Resources:     db.NewResources(d),
		Idempotency:   db.NewIdempotency(d),
		Verifier:      verifier,
		Catalog:       cfg.Catalog(),
		Metrics:       m,
		MaxBodyBytes:  cfg.MaxBodyBytes,
		Internal:      internalAPI,
		Browser:       browser,
	})
	return a, nil
}

func newVault(cfg *config.Config) (*installations.Vault, error) {
	cur, err := config.DecodeKey(cfg.EncryptionKey)
	if err != nil {
		return nil, fmt.Errorf("encryption_key: %w", err)
	}
	var prev [][]byte
	for _, k := range cfg.PreviousEncryptionKeys {
		b, err := config.DecodeKey(k)
		if err != nil {
			return nil, fmt.Errorf("previous_encryption_keys: %w", err)
		}
		prev = append(prev, b)
	}
	return installations.NewVault(cur, prev...)
}

// Serve serves on ln until ctx ends.
func (a *app) Serve(ctx context.Context, ln net.Listener) error {
	return serveUntilDone(ctx, newHTTPServer(a.handler, a.log), ln, a.log)
}

// Close stops background work and closes the database. Pending
// deliveries stay in the database for the next start.
func (a *app) Close() {
	a.cancel()
	a.deliveryWG.Wait()
	a.db.Close()
}
