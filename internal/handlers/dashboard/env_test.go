package dashboard_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/app/apptest"
	"github.com/vercel-partner/partner-server/internal/autopilot"
	"github.com/vercel-partner/partner-server/internal/config"
	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
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
	Plans: []installations.BillingPlan{{ID: "pro200", Type: "subscription", Name: "Pro", Description: "Pro plan", Cost: "$20.00/month",
		Price: "20.00", Meters: []installations.Meter{{Name: "storage", Units: "GB", Type: "total", Price: "0.10", Included: "10"}}},
		{ID: "hobby", Type: "subscription", Name: "Hobby", Description: "Free", PaymentMethodRequired: new(false)}},
}}

type logSink = apptest.LogSink

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
	usage     *db.Billing
	handler   http.Handler
	autopilot *autopilot.Autopilot
}

func newDashEnv(t testing.TB, configure ...func(*config.Config)) *dashEnv {
	t.Helper()
	ctx := context.Background()
	capture := &tokenCapture{base: http.DefaultTransport}
	path := filepath.Join(t.TempDir(), "partner.db")
	env := apptest.New(t, apptest.Options{Catalog: dashCatalog, Driver: "sqlite", DSN: path, Transport: capture,
		Retry:      &vercelapi.RetryPolicy{MaxAttempts: 2, InitialInterval: 20 * time.Millisecond},
		Deliveries: &deliveries.Options{PollInterval: 50 * time.Millisecond},
		Config: func(c *config.Config) {
			for _, f := range configure {
				f(c)
			}
		}})
	sim := env.Sim
	e := &dashEnv{sim: sim, srv: env.Srv, db: env.App.DB, dbPath: path, logs: env.Logs, capture: capture,
		resources: env.App.Resources, invoices: env.App.Invoices, usage: env.App.Billing, handler: env.App.Handler,
		autopilot: env.App.Autopilot}
	var err error
	e.client, err = vercelapi.NewClient(sim.URL(), vercelapi.WithHTTPClient(&http.Client{Transport: capture, Timeout: 10 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
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
	external := "inv_ours_" + rand.Text()[:6]
	res, err := e.client.SubmitInvoice(ctx, token.AccessToken, dashInst, &vercelapi.InvoiceRequest{
		ExternalID: external, InvoiceDate: vercelapi.NewTime(end.Add(-time.Hour)),
		Period: vercelapi.Period{Start: vercelapi.NewTime(start), End: vercelapi.NewTime(end)},
		Items: []vercelapi.Item{{BillingPlanID: "pro200", ResourceID: dashResource, Name: "Pro plan",
			Price: "20.00", Quantity: "1", Units: "month", Total: "20.00"}},
		Test: &vercelapi.InvoiceTest{Result: vercelapi.TestResultPaid},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.invoices.PutInvoice(ctx, installations.Invoice{InstallationID: dashInst, ID: res.InvoiceID, ExternalID: external,
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

// internalPost sends a JSON write to the internal API, as the partner's
// services do, and returns the status.
func (e *dashEnv) internalPost(t testing.TB, path, body string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/internal/v1"+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+apptest.InternalToken)
	return do(t, http.DefaultClient, req).StatusCode
}
