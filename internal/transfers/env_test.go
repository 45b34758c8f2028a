package transfers_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/app/apptest"
	"github.com/vercel-partner/partner-server/internal/config"
	"github.com/vercel-partner/partner-server/internal/db/dbtest"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

const (
	source = "icfg_transferSource000000001"
	target = "icfg_transferTarget000000002"
	other  = "icfg_transferOther0000000003"
)

// catalog: a flat fee with meters, a prepaid plan, and a private offer
// made to the source only.
var catalog = installations.Catalog{{ID: "db", Name: "Database", Plans: []installations.BillingPlan{{
	ID: "pro", Type: "subscription", Name: "Pro", Description: "Pro plan", Price: "20.00",
	Meters: []installations.Meter{
		{Name: "storage", Units: "GB", Type: "total", Price: "0.10", Included: "10"},
		{Name: "queries", Units: "queries", Type: "interval", Price: "0.01"},
	},
}, {
	ID: "credits", Type: "prepayment", Name: "Credits", Description: "Prepaid",
	Meters: []installations.Meter{{Name: "tokens", Units: "1k tokens", Type: "interval", Price: "0.25"}},
}, {
	ID: "pro-private", Type: "subscription", Name: "Pro (negotiated)", Description: "Private offer", Price: "15.00",
	Installations: []string{source},
}}}}

// clock is the test's time, shared by the server and (while fake) the
// simulator; tokens are signed on the real clock, which the server's
// verifier uses.
type clock struct {
	mu   sync.Mutex
	now  time.Time
	fake atomic.Bool
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

func (c *clock) sim() time.Time {
	if c.fake.Load() {
		return c.Now()
	}
	return time.Now()
}

type env struct {
	*apptest.Env
	clk *clock
}

var fast = deliveries.Options{FirstAttemptTimeout: 2 * time.Second, BaseBackoff: 20 * time.Millisecond,
	MaxBackoff: 100 * time.Millisecond, PollInterval: 20 * time.Millisecond, MaxAge: time.Hour, Workers: 4}

// newEnv runs the whole server on driver ("": SQLite) with the source,
// the target and a third installation installed, at start.
func newEnv(t testing.TB, start time.Time, driver, dsn string) *env {
	t.Helper()
	return newEnvOn(t, start, driver, dsn, nil)
}

// newEnvWith is newEnv on SQLite with a changed configuration.
func newEnvWith(t testing.TB, start time.Time, change func(*config.Config)) *env {
	t.Helper()
	return newEnvOn(t, start, "", "", change)
}

func newEnvOn(t testing.TB, start time.Time, driver, dsn string, change func(*config.Config)) *env {
	t.Helper()
	clk := &clock{now: start}
	sim, err := vercelsim.Start(vercelsim.Options{Now: clk.sim})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	e := &env{Env: apptest.New(t, apptest.Options{Sim: sim, Catalog: catalog, Deliveries: &fast, Now: clk.Now,
		Driver: driver, DSN: dsn, Config: func(c *config.Config) {
			c.Billing.AllowClockOverride = true
			if change != nil {
				change(c)
			}
		}}), clk: clk}
	for _, id := range []string{source, target, other} {
		if _, err := sim.Install(context.Background(), e.URL, id); err != nil {
			t.Fatal(err)
		}
	}
	clk.fake.Store(true)
	return e
}

// eachStore runs fn on a new environment per database.
func eachStore(t *testing.T, start time.Time, fn func(t *testing.T, e *env)) {
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); fn(t, newEnv(t, start, "", "")) })
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, newEnv(t, start, "postgres", dbtest.PostgresDSN(t)))
	})
}

// real runs fn with the simulator on the real clock: it signs tokens the
// server verifies on the real clock.
func (e *env) real(fn func()) {
	e.clk.fake.Store(false)
	defer e.clk.fake.Store(true)
	fn()
}

// put stores a ready resource of installation id on plan, known to
// Vercel too.
func (e *env) put(t testing.TB, id, resourceID, plan string) {
	t.Helper()
	if _, err := e.App.Resources.PutResource(context.Background(), installations.Resource{ID: resourceID,
		InstallationID: id, ProductID: "db", Name: resourceID, Status: "ready", BillingPlanID: plan}); err != nil {
		t.Fatal(err)
	}
	e.Sim.SetResource(id, resourceID, vercelsim.Resource{ProductID: "db", Name: resourceID, BillingPlanID: plan})
}

// create asks for a transfer of ids out of from, expiring in an hour of
// the server's clock.
func (e *env) create(t testing.TB, from string, ids ...string) vercelsim.PartnerResponse {
	t.Helper()
	return e.createUntil(t, from, e.clk.Now().Add(time.Hour), ids...)
}

func (e *env) createUntil(t testing.TB, from string, expires time.Time, ids ...string) vercelsim.PartnerResponse {
	t.Helper()
	var resp vercelsim.PartnerResponse
	var err error
	e.real(func() { resp, err = e.Sim.CreateTransferRequest(context.Background(), e.URL, from, ids, expires) })
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// claim creates a transfer request that must succeed and returns its id.
func (e *env) claim(t testing.TB, from string, ids ...string) string {
	t.Helper()
	resp := e.create(t, from, ids...)
	id, _ := resp.JSON["providerClaimId"].(string)
	if resp.Status != http.StatusOK || !strings.HasPrefix(id, "rtc_") {
		t.Fatalf("create transfer request: %d %s", resp.Status, resp.Body)
	}
	return id
}

func (e *env) verify(t testing.TB, to, claim string, opts ...vercelsim.CallOption) vercelsim.PartnerResponse {
	t.Helper()
	var resp vercelsim.PartnerResponse
	var err error
	e.real(func() { resp, err = e.Sim.VerifyTransferRequest(context.Background(), e.URL, to, claim, opts...) })
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func (e *env) accept(t testing.TB, to, claim string, opts ...vercelsim.CallOption) vercelsim.PartnerResponse {
	t.Helper()
	var resp vercelsim.PartnerResponse
	var err error
	e.real(func() { resp, err = e.Sim.AcceptTransferRequest(context.Background(), e.URL, to, claim, opts...) })
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// call sends an internal API request and decodes the JSON answer.
func (e *env) call(t testing.TB, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, e.URL+"/internal/v1"+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+apptest.InternalToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, nil
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	if len(raw) > 0 && json.Unmarshal(raw, &out) != nil {
		t.Errorf("%s %s: not JSON: %s", method, path, raw)
	}
	return res.StatusCode, out
}

// usage reports one record of meter for resourceID to installation id
// with the server's clock at at, and answers the status and body.
func (e *env) usage(t testing.TB, id, recordID, resourceID, meter, value string, at time.Time) (int, map[string]any) {
	t.Helper()
	e.clk.Set(at)
	return e.call(t, "POST", "/installations/"+id+"/usage", `{"records":[{"id":"`+recordID+`","resourceId":"`+resourceID+
		`","meter":"`+meter+`","value":`+value+`,"at":"`+at.Format(time.RFC3339)+`"}]}`)
}

// run runs one billing cycle as of at and waits for what it queued.
func (e *env) run(t testing.TB, at time.Time) {
	t.Helper()
	e.clk.Set(at)
	code, body := e.call(t, "POST", "/billing/run", `{"now":"`+at.Format(time.RFC3339)+`"}`)
	if code != http.StatusOK {
		t.Fatalf("billing run at %s: %d %v", at, code, body)
	}
	kinds, _ := body["deliveries"].(map[string]any)
	for _, ids := range kinds {
		list, _ := ids.([]any)
		for _, id := range list {
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				_, got := e.call(t, "GET", "/deliveries/"+id.(string), "")
				d, _ := got["delivery"].(map[string]any)
				if d["status"] != "pending" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("delivery %v still pending", d)
				}
			}
		}
	}
}

// feed returns the feed's events of typ.
func (e *env) feed(t testing.TB, typ string) []installations.Event {
	t.Helper()
	evs, err := e.App.Events.EventsAfter(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []installations.Event
	for _, ev := range evs {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}
