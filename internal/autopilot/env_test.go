package autopilot_test

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

// proCatalog has one resource plan: a flat fee and two meters.
var proCatalog = installations.Catalog{{ID: "db", Name: "Database", Plans: []installations.BillingPlan{{
	ID: "pro", Type: "subscription", Name: "Pro", Description: "Pro plan", Price: "20.00",
	Meters: []installations.Meter{
		{Name: "storage", Units: "GB", Type: "total", Price: "0.10", Included: "10"},
		{Name: "queries", Units: "1k queries", Type: "interval", Price: "0.002"},
	},
}, {
	ID: "credits", Type: "prepayment", Name: "Credits", Description: "Prepaid",
	Meters: []installations.Meter{{Name: "tokens", Units: "1k tokens", Type: "interval", Price: "0.25"}},
}, {
	ID: "credits-stop", Type: "prepayment", Name: "Credits (stop when empty)", Description: "Prepaid", PrepaidExhausted: "suspend",
	Meters: []installations.Meter{{Name: "tokens", Units: "1k tokens", Type: "interval", Price: "0.25"}},
}}}}

// clock is the test's time, shared by the server and (while fake) the
// simulator; tokens are signed on the real clock, which the server's
// verifier uses.
type clock struct {
	mu   sync.Mutex
	now  time.Time
	fake atomic.Bool // the simulator follows now
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

// Real runs fn with the simulator on the real clock (it signs tokens the
// server verifies on the real clock).
func (c *clock) Real(fn func()) {
	c.fake.Store(false)
	defer c.fake.Store(true)
	fn()
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

func newEnv(t testing.TB, start time.Time) *env { return newEnvOn(t, start, "", "") }

// newEnvOn is newEnv on a database driver and DSN ("": a SQLite file).
func newEnvOn(t testing.TB, start time.Time, driver, dsn string) *env {
	t.Helper()
	clk := &clock{now: start}
	sim, err := vercelsim.Start(vercelsim.Options{Now: clk.sim})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	e := apptest.New(t, apptest.Options{Sim: sim, Catalog: proCatalog, Deliveries: &fast, Now: clk.Now,
		Driver: driver, DSN: dsn, Config: func(c *config.Config) { c.Billing.AllowClockOverride = true }})
	clk.fake.Store(true)
	return &env{Env: e, clk: clk}
}

// eachStore runs fn on a new environment per database: the billing rules
// live in the store's bookkeeping as much as in the autopilot.
func eachStore(t *testing.T, start time.Time, fn func(t *testing.T, e *env)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, newEnv(t, start)) })
	t.Run("postgres", func(t *testing.T) { fn(t, newEnvOn(t, start, "postgres", dbtest.PostgresDSN(t))) })
}

// deleteResource deletes a resource the way Vercel does, at the test
// clock's time.
func (e *env) deleteResource(t testing.TB, id, resourceID string) {
	t.Helper()
	e.clk.fake.Store(false)
	defer e.clk.fake.Store(true)
	if resp, err := e.Sim.DeleteResource(context.Background(), e.URL, id, resourceID); err != nil || resp.Status != 204 {
		t.Fatalf("delete resource: %v %d %s", err, resp.Status, resp.Body)
	}
}

// usageAt reports records with the server's clock at now and returns the
// status and body.
func (e *env) usageAt(t testing.TB, id string, now time.Time, records ...string) (int, map[string]any) {
	t.Helper()
	e.clk.Set(now)
	return e.call(t, "POST", "/installations/"+id+"/usage", `{"records":[`+strings.Join(records, ",")+`]}`)
}

// install installs id at the test clock's time with one resource on plan.
func (e *env) install(t testing.TB, id, resourceID, plan string) {
	t.Helper()
	e.clk.fake.Store(false)
	defer e.clk.fake.Store(true)
	if _, err := e.Sim.Install(context.Background(), e.URL, id); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Resources.PutResource(context.Background(), installations.Resource{ID: resourceID,
		InstallationID: id, ProductID: "db", Name: resourceID, Status: "ready", BillingPlanID: plan}); err != nil {
		t.Fatal(err)
	}
}

func (e *env) uninstall(t testing.TB, id string) {
	t.Helper()
	e.clk.fake.Store(false)
	defer e.clk.fake.Store(true)
	if finalized, err := e.Sim.Uninstall(context.Background(), e.URL, id); err != nil || finalized {
		t.Fatalf("uninstall: finalized %v, %v; want pending finalization", finalized, err)
	}
}

// call sends an internal API request and decodes the JSON answer. It
// reports failures with t.Error (it may run on other goroutines) and then
// answers status 0.
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
		return 0, nil
	}
	return res.StatusCode, out
}

// usage reports records at the clock's time set to each record's at.
func (e *env) usage(t testing.TB, id string, records ...string) {
	t.Helper()
	for _, r := range records {
		var rec struct{ At time.Time }
		if err := json.Unmarshal([]byte(r), &rec); err != nil {
			t.Fatal(err)
		}
		e.clk.Set(rec.At)
		if code, body := e.call(t, "POST", "/installations/"+id+"/usage", `{"records":[`+r+`]}`); code != 200 {
			t.Fatalf("usage %s: %d %v", r, code, body)
		}
	}
}

// run runs one billing cycle as of at.
func (e *env) run(t testing.TB, at time.Time) map[string]any {
	t.Helper()
	e.clk.Set(at)
	code, body := e.call(t, "POST", "/billing/run", `{"now":"`+at.Format(time.RFC3339)+`"}`)
	if code != 200 {
		t.Fatalf("billing run at %s: %d %v", at, code, body)
	}
	e.settle(t, body)
	return body
}

// settle waits until every delivery a run queued is no longer pending
// (interim data and balances go to the background worker).
func (e *env) settle(t testing.TB, run map[string]any) {
	t.Helper()
	kinds, _ := run["deliveries"].(map[string]any)
	for _, ids := range kinds {
		list, _ := ids.([]any)
		for _, id := range list {
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				_, body := e.call(t, "GET", "/deliveries/"+id.(string), "")
				d, _ := body["delivery"].(map[string]any)
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

func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func month(s string) vercelsim.Period {
	start := date(s)
	return vercelsim.Period{Start: start.Format(time.RFC3339), End: start.AddDate(0, 1, 0).Format(time.RFC3339)}
}
