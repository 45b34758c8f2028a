// Package server runs the wired app over HTTP until its context ends: the
// part the server and demo commands share.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/vercel-partner/partner-server/internal/app"
	"github.com/vercel-partner/partner-server/internal/config"
)

// Server is the wired app, with its background workers started.
type Server struct {
	*app.App
	cfg     *config.Config
	version string
}

// Start builds every store and service once (internal/app) and starts the
// background delivery worker. The caller closes the Server.
func Start(ctx context.Context, cfg *config.Config, log *slog.Logger, version string) (*Server, error) {
	a, err := app.New(ctx, cfg, log, app.Options{Version: version})
	if err != nil {
		return nil, err
	}
	a.Start()
	return &Server{App: a, cfg: cfg, version: version}, nil
}

// Serve serves on ln until ctx ends, then shuts down gracefully. The
// start-up line never carries the DSN: it can hold a password.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	return serveUntilDone(ctx, newHTTPServer(s.Handler, s.Log), ln, s.Log,
		"version", s.version, "database", s.cfg.Database.Driver, "public_url", s.cfg.PublicURL)
}

// newHTTPServer sets all four timeouts.
func newHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// serveUntilDone serves until ctx ends, then shuts down gracefully.
// attrs describe the server in the start-up line.
func serveUntilDone(ctx context.Context, srv *http.Server, ln net.Listener, log *slog.Logger, attrs ...any) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("listening", append([]any{"addr", ln.Addr().String()}, attrs...)...)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
