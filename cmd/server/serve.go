package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/vercel-partner/partner-server/internal/config"
	"github.com/vercel-partner/partner-server/internal/db"
)

// configFlags is the -config flag every configured command takes.
func configFlags(name string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	return fs, fs.String("config", "", "YAML configuration file")
}

// parseArgs parses args into fs and checks the count of positional ones.
func parseArgs(fs *flag.FlagSet, args []string, positional int) error {
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > positional {
		return fmt.Errorf("%s: unexpected argument %q (run \"server help\" for usage)", fs.Name(), fs.Arg(positional))
	}
	return nil
}

func serve(ctx context.Context, args, environ []string, stdout io.Writer) error {
	fs, path := configFlags("serve")
	if err := parseArgs(fs, args, 0); err != nil {
		if m := misplacedCommand(args); m != nil {
			return m
		}
		return err
	}
	cfg, err := config.Load(*path, lookupEnv(environ))
	if err != nil {
		return err
	}
	log := newLogger(stdout, cfg.LogLevel)
	warnUnknownEnv(log, environ)
	app, err := newApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer app.Close()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	return app.Serve(ctx, ln)
}

// warnUnknownEnv names each PARTNER_* variable that overrides nothing,
// most often a misspelled key.
func warnUnknownEnv(log *slog.Logger, environ []string) {
	for _, name := range config.UnknownEnv(environ) {
		log.Warn("environment variable matches no configuration key", "name", name)
	}
}

func migrate(ctx context.Context, args, environ []string, stdout io.Writer) error {
	fs, path := configFlags("migrate")
	if err := parseArgs(fs, args, 0); err != nil {
		return err
	}
	cfg, err := config.LoadDatabase(*path, lookupEnv(environ))
	if err != nil {
		return err
	}
	d, err := db.Open(ctx, cfg.Database.Driver, cfg.Database.DSN)
	if err != nil {
		return err
	}
	defer d.Close()
	fmt.Fprintln(stdout, "migrations applied")
	return nil
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var lv slog.Level
	lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			return slog.New(slog.NewTextHandler(w, opts))
		}
	}
	return slog.New(slog.NewJSONHandler(w, opts))
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
