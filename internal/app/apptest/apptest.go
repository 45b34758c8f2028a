// Package apptest runs the whole server, wired by internal/app, on an
// httptest server in front of a Vercel simulator, for tests.
package apptest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/app"
	"github.com/vercel-partner/partner-server/internal/config"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// InternalToken is the internal API token every Env accepts.
const InternalToken = "internal-token-0123456789abcdef"

// Options shape an Env; all are optional.
type Options struct {
	Sim          *vercelsim.Sim // default: a new simulator
	Catalog      installations.Catalog
	Deliveries   *deliveries.Options
	Transport    http.RoundTripper
	Retry        *vercelapi.RetryPolicy
	MaxBodyBytes int64
	// Driver and DSN select the database; default a SQLite file in a temp dir.
	Driver, DSN string
	// NoWorker leaves the background delivery worker stopped.
	NoWorker bool
	// Config, when set, changes the configuration before the app is built.
	Config func(*config.Config)
	// Now is the billing clock (see app.Options.Now).
	Now func() time.Time
	// EncryptionKey (base64, 32 bytes) lets two Envs share one database as
	// replicas do; default a random key.
	EncryptionKey string
	// TokenGrace is app.Options.TokenGrace.
	TokenGrace time.Duration
	// Console, when set, turns the staff console on with the simulator as
	// the staff identity provider and these people.
	Console *Console
}

// Console is who may use the staff console.
type Console struct {
	Operators, Viewers []string
}

// Staff client of the simulated identity provider.
const (
	ConsoleClientID     = "partner-console"
	ConsoleClientSecret = "console-secret-0123456789"
)

// Env is one running server.
type Env struct {
	Sim    *vercelsim.Sim
	App    *app.App
	Srv    *httptest.Server
	URL    string
	Logs   *LogSink
	Config *config.Config
	opts   Options
	key    string
}

// New starts a server; everything stops at the end of the test.
func New(t testing.TB, opts Options) *Env {
	t.Helper()
	if opts.Sim == nil {
		sim, err := vercelsim.Start(vercelsim.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(sim.Close)
		opts.Sim = sim
	}
	if opts.Driver == "" {
		opts.Driver, opts.DSN = "sqlite", filepath.Join(t.TempDir(), "partner.db")
	}
	key := opts.EncryptionKey
	if key == "" {
		b := make([]byte, 32)
		rand.Read(b)
		key = base64.StdEncoding.EncodeToString(b)
	}
	e := &Env{Sim: opts.Sim, Logs: &LogSink{}, opts: opts, key: key}
	e.Start(t)
	return e
}

// Start (re)starts the server on the same database and listener address
// kind; a test that restarts calls Stop first.
func (e *Env) Start(t testing.TB) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	env := map[string]string{
		"PARTNER_ENCRYPTION_KEY":       e.key,
		"PARTNER_VERCEL_CLIENT_ID":     e.Sim.ClientID(),
		"PARTNER_VERCEL_CLIENT_SECRET": e.Sim.ClientSecret(),
		"PARTNER_VERCEL_API_URL":       e.Sim.URL(),
		"PARTNER_VERCEL_ISSUER":        e.Sim.Issuer(),
		"PARTNER_VERCEL_JWKS_URL":      e.Sim.JWKSURL(),
		"PARTNER_DATABASE_DRIVER":      e.opts.Driver,
		"PARTNER_DATABASE_DSN":         e.opts.DSN,
		"PARTNER_PUBLIC_URL":           "http://" + srv.Listener.Addr().String(),
	}
	cfg, err := config.Load("", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	cfg.InternalAPI.Tokens = config.Bare("other-token-aaaaaaaaaaaa", InternalToken)
	cfg.SetCatalog(e.opts.Catalog)
	if c := e.opts.Console; c != nil {
		cfg.Console = config.Console{OIDC: config.ConsoleOIDC{Issuer: e.Sim.StaffIssuer(), ClientID: ConsoleClientID,
			ClientSecret: ConsoleClientSecret}, Operators: c.Operators, Viewers: c.Viewers}
		e.Sim.SetStaffClient(ConsoleClientID, ConsoleClientSecret, cfg.PublicURL+"/console/callback")
	}
	if e.opts.MaxBodyBytes > 0 {
		cfg.MaxBodyBytes = e.opts.MaxBodyBytes
	}
	if e.opts.Config != nil {
		e.opts.Config(cfg)
	}
	log := slog.New(slog.NewJSONHandler(e.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := app.New(context.Background(), cfg, log, app.Options{Version: "test",
		Transport: e.opts.Transport, Retry: e.opts.Retry, Deliveries: e.opts.Deliveries, Now: e.opts.Now, TokenGrace: e.opts.TokenGrace})
	if err != nil {
		t.Fatal(err)
	}
	if !e.opts.NoWorker {
		a.Start()
	}
	srv.Config.Handler = a.Handler
	srv.Start()
	e.App, e.Srv, e.URL, e.Config = a, srv, srv.URL, cfg
	t.Cleanup(e.Stop)
}

// Stop closes the server and the app (idempotent).
func (e *Env) Stop() {
	if e.Srv == nil {
		return
	}
	e.Srv.Close()
	e.App.Close()
	e.Srv = nil
}

// LogSink is a log destination safe for concurrent handlers.
type LogSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LogSink) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *LogSink) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
