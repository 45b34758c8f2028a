package internalapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/app/apptest"
	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/metrics"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

const internalToken = apptest.InternalToken

const testInstallation = "icfg_9bceb8ccT32d3U417ezb5c8p"

var freePlan = false

var testCatalog = installations.Catalog{{ID: "postgres", Name: "Postgres", Plans: []installations.BillingPlan{
	{ID: "free", Type: "subscription", Name: "Free", Description: "Hobby", PaymentMethodRequired: &freePlan},
	{ID: "pro200", Type: "subscription", Name: "Pro", Description: "Pro plan", Cost: "$20.00/month"},
}}}

// internalEnv is the whole server (partner API, internal API, delivery
// worker) on SQLite in front of a simulator with one installation and one
// resource known to both sides.
type internalEnv struct {
	sim     *vercelsim.Sim
	srv     *httptest.Server
	db      *db.DB
	svc     *deliveries.Service
	metrics *metrics.Metrics
	token   string // the installation's Vercel access token
}

const testResource = "db_7Hq2Lx"

// fastRetries makes background retries quick enough for tests.
var fastRetries = deliveries.Options{
	FirstAttemptTimeout: 2 * time.Second, BaseBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
	PollInterval: 20 * time.Millisecond, MaxAge: time.Hour, Workers: 4,
}

func newInternalEnv(t testing.TB, opts deliveries.Options) *internalEnv {
	t.Helper()
	env := apptest.New(t, apptest.Options{Catalog: testCatalog, Deliveries: &opts, MaxBodyBytes: 64 << 10,
		Retry: &vercelapi.RetryPolicy{MaxAttempts: 3, InitialInterval: 10 * time.Millisecond, MaxInterval: 50 * time.Millisecond, Multiplier: 2}})
	e := &internalEnv{sim: env.Sim, srv: env.Srv, db: env.App.DB, svc: env.App.Deliveries, metrics: env.App.Metrics}
	var err error
	if e.token, err = e.sim.Install(context.Background(), e.srv.URL, testInstallation); err != nil {
		t.Fatal(err)
	}
	e.sim.SetResource(testInstallation, testResource, vercelsim.Resource{ProductID: "postgres", Name: "main"})
	if _, err := env.App.Resources.PutResource(context.Background(), installations.Resource{
		ID: testResource, InstallationID: testInstallation, ProductID: "postgres", Name: "main", Status: "ready"}); err != nil {
		t.Fatal(err)
	}
	return e
}

// call sends an internal API request with the internal token (or token
// when given as hdr "Authorization").
func (e *internalEnv) call(t testing.TB, method, path, body string, hdr ...string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+"/internal/v1"+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+internalToken)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	if len(raw) > 0 && json.Unmarshal(raw, &out) != nil {
		t.Fatalf("%s %s: answer is not a JSON object: %s", method, path, raw)
	}
	return res.StatusCode, out
}

// waitDelivery polls GET /deliveries/{id} until its status is final.
func (e *internalEnv) waitDelivery(t testing.TB, id string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, body := e.call(t, "GET", "/deliveries/"+id, "")
		d, _ := body["delivery"].(map[string]any)
		if d["status"] != "pending" || time.Now().After(deadline) {
			return d
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func deliveryOf(body map[string]any) map[string]any {
	d, _ := body["delivery"].(map[string]any)
	return d
}

// succeeded returns the requests to route that Vercel accepted.
func succeeded(sim *vercelsim.Sim, route string) []vercelsim.Request {
	var out []vercelsim.Request
	for _, r := range sim.RequestsTo(route) {
		if r.Status >= 200 && r.Status < 300 {
			out = append(out, r)
		}
	}
	return out
}

// jsonEqual compares two JSON texts by value.
func jsonEqual(t testing.TB, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got invalid JSON %s", got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want invalid JSON %s", want)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("Vercel received\n %s\nwant\n %s", gb, wb)
	}
}

// billingDates are a usage period around now, as the simulator's 24 h
// staleness rule requires.
func billingDates() (ts, eod, start, end string) {
	now := time.Now().UTC()
	f := func(t time.Time) string { return t.Format("2006-01-02T15:04:05.000Z") }
	day := now.Truncate(24 * time.Hour)
	return f(now), f(day.Add(24*time.Hour - time.Second)), f(day.Add(-24 * time.Hour)), f(day.Add(48 * time.Hour))
}

func eventRequest(resourceID string) *vercelapi.EventRequest {
	return &vercelapi.EventRequest{Event: vercelapi.ResourceUpdated(resourceID, "")}
}
