package main

import (
	"context"
	"log/slog"
	"net"

	"github.com/vercel-partner/partner-server/internal/app"
	"github.com/vercel-partner/partner-server/internal/config"
)

// server is the wired app, serving.
type server struct {
	*app.App
	cfg *config.Config
}

// newApp builds every store and service once (internal/app) and starts the
// background delivery worker.
func newApp(ctx context.Context, cfg *config.Config, log *slog.Logger) (*server, error) {
	a, err := app.New(ctx, cfg, log, app.Options{Version: Version()})
	if err != nil {
		return nil, err
	}
	a.Start()
	return &server{a, cfg}, nil
}

// Serve serves on ln until ctx ends. The start-up line never carries the
// DSN: it can hold a password.
func (s *server) Serve(ctx context.Context, ln net.Listener) error {
	return serveUntilDone(ctx, newHTTPServer(s.Handler, s.Log), ln, s.Log,
		"version", Version(), "database", s.cfg.Database.Driver, "public_url", s.cfg.PublicURL)
}
