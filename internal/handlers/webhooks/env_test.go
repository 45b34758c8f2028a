package webhooks_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/app/apptest"
	"github.com/vercel-partner/partner-server/internal/db/dbtest"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

const (
	inst     = "icfg_hook000000000000000000001"
	resource = "db_7Hq2Lx"
	admin    = "0a11ce0000000001"
	member   = "b0b0000000000002"
)

var free = false

var catalog = installations.Catalog{{
	ID: "postgres", Name: "Postgres", SecretNames: []string{"DATABASE_URL"},
	Plans: []installations.BillingPlan{
		{ID: "free", Type: "subscription", Name: "Free", Description: "Hobby", PaymentMethodRequired: &free},
		{ID: "pro200", Type: "subscription", Name: "Pro", Description: "Pro plan", Cost: "$20.00/month"},
	},
}}

// env is the whole server in front of the simulator, with one
// installation and one resource known to both sides.
type env struct {
	*apptest.Env
	hook string // the Webhook URL
}

func newEnv(t testing.TB, opts apptest.Options) *env {
	t.Helper()
	opts.Catalog = catalog
	e := &env{Env: apptest.New(t, opts)}
	e.hook = e.URL + "/webhooks/vercel"
	ctx := context.Background()
	if _, err := e.Sim.Install(ctx, e.URL, inst); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Resources.PutResource(ctx, installations.Resource{ID: resource, InstallationID: inst,
		ProductID: "postgres", Name: "main-db", Status: "ready", BillingPlanID: "pro200"}); err != nil {
		t.Fatal(err)
	}
	e.Sim.SetResource(inst, resource, vercelsim.Resource{ProductID: "postgres", Name: "main-db"})
	return e
}

// drivers runs fn on SQLite and, when it answers, PostgreSQL.
func drivers(t *testing.T, fn func(t *testing.T, opts apptest.Options)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, apptest.Options{}) })
	t.Run("postgres", func(t *testing.T) { fn(t, apptest.Options{Driver: "postgres", DSN: dbtest.PostgresDSN(t)}) })
}

func (e *env) deliver(t testing.TB, ev vercelsim.WebhookEvent, opts ...vercelsim.WebhookOption) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	status, err := e.Sim.DeliverWebhook(ctx, e.hook, ev, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return status
}

// mustDeliver delivers ev and wants 200.
func (e *env) mustDeliver(t testing.TB, ev vercelsim.WebhookEvent) {
	t.Helper()
	if status := e.deliver(t, ev); status != http.StatusOK {
		t.Fatalf("deliver %s: status %d, want 200", ev.Type, status)
	}
}

// stored counts stored webhook events.
func (e *env) stored(t testing.TB) int {
	t.Helper()
	var n int
	if err := e.App.DB.Get(&n, `SELECT COUNT(*) FROM webhook_events`); err != nil {
		t.Fatal(err)
	}
	return n
}

type feedEvent struct {
	ID             int64  `json:"id"`
	Type           string `json:"type"`
	InstallationID string `json:"installationId"`
	Data           struct {
		VercelEventID string          `json:"vercelEventId"`
		Payload       json.RawMessage `json:"payload"`
	} `json:"data"`
}

// feed reads the whole internal event feed.
func (e *env) feed(t testing.TB) []feedEvent {
	t.Helper()
	var out struct {
		Events []feedEvent `json:"events"`
	}
	if status := e.internal(t, "GET", "/events?after=0&limit=1000", &out); status != http.StatusOK {
		t.Fatalf("GET /events: %d", status)
	}
	return out.Events
}

// feedOf returns the feed entries announcing the Vercel event id.
func (e *env) feedOf(t testing.TB, id string) []feedEvent {
	t.Helper()
	var out []feedEvent
	for _, f := range e.feed(t) {
		if f.Data.VercelEventID == id {
			out = append(out, f)
		}
	}
	return out
}

// internal calls the internal API and decodes its answer into out.
func (e *env) internal(t testing.TB, method, path string, out any) int {
	t.Helper()
	return e.internalBody(t, method, path, "", out)
}

// internalBody is internal with a JSON request body.
func (e *env) internalBody(t testing.TB, method, path, body string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, e.URL+"/internal/v1"+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+apptest.InternalToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if out != nil {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return res.StatusCode
}

// signIn signs user in through the simulator's SSO and returns the browser.
func (e *env) signIn(t testing.TB, user, role string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	code := e.Sim.IssueSSOCode(inst, user, role, nil)
	status, _, _ := page(t, c, vercelsim.SSOCallbackURL(e.URL, code, "state-"+rand.Text()[:8], nil))
	if status != http.StatusSeeOther {
		t.Fatalf("sign-in callback: %d, want 303", status)
	}
	return c
}

// page GETs a dashboard page: status, body and redirect location.
func page(t testing.TB, c *http.Client, u string) (int, string, string) {
	t.Helper()
	if strings.HasPrefix(u, "/") {
		t.Fatalf("page wants an absolute URL, got %s", u)
	}
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Accept", "text/html")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header.Get("Location")
}

// sessions counts the stored sessions of user.
func (e *env) sessions(t testing.TB, user string) int {
	t.Helper()
	var n int
	if err := e.App.DB.Get(&n, e.App.DB.Rebind(`SELECT COUNT(*) FROM sessions WHERE installation_id = ? AND user_id = ?`), inst, user); err != nil {
		t.Fatal(err)
	}
	return n
}
