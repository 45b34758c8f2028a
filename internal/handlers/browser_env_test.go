package handlers_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/handlers"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/sso"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelauth"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

const (
	dashInst     = "icfg_dash0000000000000000001"
	dashResource = "db_7Hq2Lx"
	dashAdmin    = "0a11ce0000000001"
	dashUser     = "b0b0000000000002"
)

var dashCatalog = installations.Catalog{{
	ID: "postgres", Name: "Postgres", SecretNames: []string{"DATABASE_URL", "DATABASE_TOKEN"},
	Plans: []installations.BillingPlan{{ID: "pro200", Type: "subscription", Name: "Pro", Description: "Pro plan", Cost: "$20.00/month"}},
}}

// logSink is a log sink safe for concurrent handlers.
type logSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logSink) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logSink) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// tokenCapture records the id_tokens Vercel's exchange answers, so tests
// can look for them where they must not be.
type tokenCapture struct {
	base http.RoundTripper
	mu   sync.Mutex
	ids  []string
}

func (c *tokenCapture) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(r)
	if err != nil || r.URL.Path != "/v1/integrations/sso/token" {
		return resp, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var v struct {
		IDToken string `json:"id_token"`
	}
	if json.Unmarshal(body, &v) == nil && v.IDToken != "" {
		c.mu.Lock()
		c.ids = append(c.ids, v.IDToken)
		c.mu.Unlock()
	}
	return resp, nil
}

func (c *tokenCapture) tokens() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.ids...)
}

// dashEnv is the whole server (partner API and browser surface) on an
// httptest server, in front of a file SQLite database and the simulator.
type dashEnv struct {
	sim       *vercelsim.Sim
	srv       *httptest.Server
	db        *db.DB
	dbPath    string
	logs      *logSink
	capture   *tokenCapture
	client    *vercelapi.Client
	resources *db.Resources
	invoices  *db.Invoices
	handler   http.Handler
}

func newDashEnv(t testing.TB) *dashEnv {
	t.Helper()
	ctx := context.Background()
	sim, err := vercelsim.Start(vercelsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	e := &dashEnv{sim: sim, dbPath: filepath.Join(t.TempDir(), "partner.db"), logs: &logSink{}}
	d, err := db.Open(ctx, "sqlite", e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	e.db = d
	key := make([]byte, 32)
	rand.Read(key)
	vault, err := installations.NewVault(key)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.capture = &tokenCapture{base: http.DefaultTransport}
	e.client, err = vercelapi.NewClient(sim.URL(),
		vercelapi.WithHTTPClient(&http.Client{Transport: e.capture, Timeout: 10 * time.Second}),
		vercelapi.WithRetryPolicy(vercelapi.RetryPolicy{MaxAttempts: 2, InitialInterval: 20 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	store := db.NewInstallations(d, vault)
	e.resources, e.invoices = db.NewResources(d), db.NewInvoices(d)
	verifier := vercelauth.NewVerifier(ctx, sim.Issuer(), sim.JWKSURL(), sim.ClientID(), nil)

	// Dashboard writes go through the durable delivery queue, as in production.
	actions := deliveries.New(deliveries.Deps{DB: d, Installations: store, Resources: e.resources,
		Invoices: e.invoices, Vault: vault, Client: e.client, Log: log}, deliveries.Options{PollInterval: 50 * time.Millisecond})
	bg, stop := context.WithCancel(context.Background())
	var workers sync.WaitGroup
	workers.Go(func() { actions.Run(bg) })

	// The public URL is the server's own, known once it listens.
	var h http.Handler
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(func() {
		e.srv.Close()
		stop()
		workers.Wait()
		d.Close()
	})
	browser, err := handlers.NewBrowser(handlers.BrowserDeps{
		Log:       log,
		PublicURL: e.srv.URL,
		Flow: &sso.Flow{Vercel: e.client, Verifier: verifier, Installations: store,
			ClientID: sim.ClientID(), ClientSecret: sim.ClientSecret(), Log: log},
		Sessions:      &sso.Sessions{Store: db.NewSessions(d), IdleTimeout: time.Hour, MaxAge: 12 * time.Hour},
		Installations: store,
		Resources:     e.resources,
		Invoices:      e.invoices,
		Catalog:       dashCatalog,
		Vercel:        e.client,
		Actions:       actions,
	})
	if err != nil {
		t.Fatal(err)
	}
	h = handlers.New(handlers.Deps{
		Log: log, DB: d, Installations: store, Resources: e.resources, Idempotency: db.NewIdempotency(d),
		Verifier: verifier, Catalog: dashCatalog, Browser: browser,
	})
	e.handler = h
	if _, err := sim.Install(ctx, e.srv.URL, dashInst); err != nil {
		t.Fatal(err)
	}
	sim.SetMember(dashInst, dashUser, vercelapi.RoleUser, "bob@acme.dev")
	if _, err := e.resources.PutResource(ctx, installations.Resource{
		ID: dashResource, InstallationID: dashInst, ProductID: "postgres", Name: "main-db", Status: "ready",
	}); err != nil {
		t.Fatal(err)
	}
	sim.SetResource(dashInst, dashResource, vercelsim.Resource{ProductID: "postgres", Name: "main-db"})
	return e
}

// submitInvoice creates an invoice at the simulator and records it as ours.
func (e *dashEnv) submitInvoice(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	token, _ := e.sim.Installation(dashInst)
	start := time.Now().UTC().Truncate(time.Hour).Add(-30 * 24 * time.Hour)
	end := start.Add(30 * 24 * time.Hour)
	res, err := e.client.SubmitInvoice(ctx, token.AccessToken, dashInst, &vercelapi.InvoiceRequest{
		ExternalID: "inv_ours_" + rand.Text()[:6], InvoiceDate: vercelapi.NewTime(end.Add(-time.Hour)),
		Period: vercelapi.Period{Start: vercelapi.NewTime(start), End: vercelapi.NewTime(end)},
		Items: []vercelapi.Item{{BillingPlanID: "pro200", ResourceID: dashResource, Name: "Pro plan",
			Price: "20.00", Quantity: 1, Units: "month", Total: "20.00"}},
		Test: &vercelapi.InvoiceTest{Result: vercelapi.TestResultPaid},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.invoices.PutInvoice(ctx, installations.Invoice{InstallationID: dashInst, ID: res.InvoiceID,
		Total: "20.00", State: "pending", Test: true, PeriodStart: start, PeriodEnd: end}); err != nil {
		t.Fatal(err)
	}
	return res.InvoiceID
}

// browser is a cookie-keeping client that does not follow redirects.
func (e *dashEnv) browser(t testing.TB) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// callbackURL has Vercel issue a code for user and builds its redirect.
func (e *dashEnv) callbackURL(user, role string, params url.Values) (string, string) {
	code := e.sim.IssueSSOCode(dashInst, user, role, nil)
	return vercelsim.SSOCallbackURL(e.srv.URL, code, "vercel-state-"+rand.Text()[:8], params), code
}

// signIn runs the callback for user and returns the browser and redirect.
func (e *dashEnv) signIn(t testing.TB, user, role string, params url.Values) (*http.Client, string) {
	t.Helper()
	c := e.browser(t)
	u, _ := e.callbackURL(user, role, params)
	resp := get(t, c, u)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("callback: status %d, want 303; body: %s", resp.StatusCode, resp.body)
	}
	return c, resp.Header.Get("Location")
}

type page struct {
	*http.Response
	body string
}

func get(t testing.TB, c *http.Client, u string) page {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Accept", "text/html")
	return do(t, c, req)
}

func postForm(t testing.TB, c *http.Client, u string, form url.Values, hdr ...string) page {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return do(t, c, req)
}

func do(t testing.TB, c *http.Client, req *http.Request) page {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{Response: resp, body: string(b)}
}

// sessionCount counts stored sessions.
func (e *dashEnv) sessionCount(t testing.TB) int {
	t.Helper()
	var n int
	if err := e.db.Get(&n, `SELECT COUNT(*) FROM sessions`); err != nil {
		t.Fatal(err)
	}
	return n
}
