package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vercel-partner/partner-server/internal/app"
	"github.com/vercel-partner/partner-server/internal/config"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// internalToken is the internal API token the server is configured with.
const internalToken = "loadtest-internal-token-0123456789"

// queueTimings keep retries short so the backlog drain measures
// delivery, not waiting; the rest are the production defaults.
var queueTimings = deliveries.Options{BaseBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
	PollInterval: 10 * time.Millisecond}

// replica is one server instance wired by internal/app on its own
// loopback listener.
type replica struct {
	app   *app.App
	http  *http.Server
	url   string
	ready time.Duration // from app.New to the first 200 of /readyz
}

// server is the simulator and the replicas, all on loopback and one
// database, with the installations made through the simulator.
type server struct {
	sim      *vercelsim.Sim
	replicas []*replica
	app      *app.App // the first replica's, for counts and direct stores
	client   *http.Client
	ids      []string
	access   []string   // each installation's Vercel access token
	tokens   [][]string // pre-minted ADMIN user tokens, per installation
	fresh    []string   // pre-minted tokens, each sent once
	cleanup  []func()
	appName  string       // PostgreSQL application_name of the replicas' connections
	log      io.Writer    // the replicas' log
	ssoAddrs atomic.Int64 // loopback addresses SSO clients have used, so none is reused
}

func (sv *server) close() {
	for i := len(sv.cleanup) - 1; i >= 0; i-- {
		sv.cleanup[i]()
	}
}

// base is the URL of the replica that connection (or call) i uses:
// round-robin over the replicas.
func (sv *server) base(i int) string { return sv.replicas[i%len(sv.replicas)].url }

// start brings up the simulator and t's replicas on a fresh database.
// Replicas start one after another so only the first applies migrations.
func start(ctx context.Context, s settings, t target) (*server, error) {
	sv := &server{client: newClient(s.conns), log: s.serverLog}
	ok := false
	defer func() {
		if !ok {
			sv.close()
		}
	}()
	sim, err := vercelsim.Start(vercelsim.Options{})
	if err != nil {
		return nil, err
	}
	sv.sim = sim
	sv.cleanup = append(sv.cleanup, sim.Close)
	dsn, err := sv.freshDatabase(t.driver, s.postgres)
	if err != nil {
		return nil, err
	}
	key := make([]byte, 32)
	rand.Read(key)
	for range t.replicas {
		if err := sv.serve(ctx, t.driver, dsn, key); err != nil {
			return nil, err
		}
	}
	sv.app = sv.replicas[0].app
	ok = true
	return sv, nil
}

// freshDatabase returns a DSN for an empty database: a SQLite file in a
// temp dir, or a new PostgreSQL schema, removed at close. A PostgreSQL
// URL that already names a search_path is used as given.
func (sv *server) freshDatabase(driver, base string) (string, error) {
	if driver == "sqlite" {
		dir, err := os.MkdirTemp("", "loadtest-")
		if err != nil {
			return "", err
		}
		sv.cleanup = append(sv.cleanup, func() { os.RemoveAll(dir) })
		return filepath.Join(dir, "partner.db"), nil
	}
	if u, err := url.Parse(base); err == nil && u.Query().Has("search_path") {
		return base, nil
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", err
	}
	schema := "loadtest_" + strings.ToLower(rand.Text()[:12])
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		admin.Close()
		return "", fmt.Errorf("create schema: %w", err)
	}
	sv.cleanup = append(sv.cleanup, func() {
		admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		admin.Close()
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	sv.appName = schema
	return base + sep + "search_path=" + schema + "&application_name=" + schema, nil
}

// serve builds one replica as internal/app/apptest does and serves it on
// a loopback listener, timing start-up until /readyz first answers 200.
func (sv *server) serve(ctx context.Context, driver, dsn string, key []byte) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	r := &replica{url: "http://" + ln.Addr().String()}
	cfg, err := sv.config(driver, dsn, r.url, key)
	if err != nil {
		ln.Close()
		return err
	}
	log := slog.New(slog.NewJSONHandler(sv.log, &slog.HandlerOptions{Level: slog.LevelWarn}))
	begin := time.Now()
	opts := queueTimings
	opts.Workers = cfg.Deliveries.Workers
	a, err := app.New(ctx, cfg, log, app.Options{Version: "loadtest", Deliveries: &opts})
	if err != nil {
		ln.Close()
		return err
	}
	r.app = a
	r.http = &http.Server{Handler: a.Handler, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 2 * time.Minute}
	go r.http.Serve(ln)
	sv.cleanup = append(sv.cleanup, func() {
		r.http.Close()
		a.Close()
	})
	if err := sv.waitReady(ctx, r.url); err != nil {
		return err
	}
	r.ready = time.Since(begin)
	sv.replicas = append(sv.replicas, r)
	return nil
}

// config is one replica's: every replica shares the key and database and
// names its own listener as the public URL.
func (sv *server) config(driver, dsn, publicURL string, key []byte) (*config.Config, error) {
	env := map[string]string{
		"PARTNER_ENCRYPTION_KEY":       base64.StdEncoding.EncodeToString(key),
		"PARTNER_VERCEL_CLIENT_ID":     sv.sim.ClientID(),
		"PARTNER_VERCEL_CLIENT_SECRET": sv.sim.ClientSecret(),
		"PARTNER_VERCEL_API_URL":       sv.sim.URL(),
		"PARTNER_VERCEL_ISSUER":        sv.sim.Issuer(),
		"PARTNER_VERCEL_JWKS_URL":      sv.sim.JWKSURL(),
		"PARTNER_DATABASE_DRIVER":      driver,
		"PARTNER_DATABASE_DSN":         dsn,
		"PARTNER_PUBLIC_URL":           publicURL,
	}
	cfg, err := config.Load("", func(k string) string { return env[k] })
	if err != nil {
		return nil, err
	}
	cfg.InternalAPI.Tokens = config.Bare(internalToken)
	return cfg, nil
}

func (sv *server) waitReady(ctx context.Context, base string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		if do(ctx, sv.client, http.MethodGet, base+"/readyz", "", nil, http.StatusOK) == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("/readyz did not answer 200: %w", ctx.Err())
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// newClient is the load generator's client: keep-alive, one idle
// connection per worker, redirects not followed, no proxy.
func newClient(conns int) *http.Client {
	t := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: conns, MaxIdleConns: conns * 2,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext, IdleConnTimeout: time.Minute}
	return &http.Client{Transport: t, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
