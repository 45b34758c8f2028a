package handlers_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/handlers"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/metrics"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelauth"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

const internalToken = "internal-token-0123456789abcdef"

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
	sim, err := vercelsim.Start(vercelsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	d, err := db.Open(context.Background(), "sqlite", filepath.Join(t.TempDir(), "partner.db"))
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	vault, _ := installations.NewVault(key)
	store := db.NewInstallations(d, vault)
	client, err := vercelapi.NewClient(sim.URL(), vercelapi.WithRetryPolicy(vercelapi.RetryPolicy{
		MaxAttempts: 3, InitialInterval: 10 * time.Millisecond, MaxInterval: 50 * time.Millisecond, Multiplier: 2}))
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	svc := deliveries.New(deliveries.Deps{DB: d, Installations: store, Resources: db.NewResources(d),
		Invoices: db.NewInvoices(d), Vault: vault, Client: client, Metrics: m}, opts)
	internal := handlers.NewInternalAPI(handlers.InternalDeps{Tokens: []string{"other-token-aaaaaaaaaaaa", internalToken},
		Installations: store, Deliveries: svc, Events: db.NewEvents(d), Client: client, MaxBodyBytes: 64 << 10})
	srv := httptest.NewServer(handlers.New(handlers.Deps{
		DB: d, Installations: store, Resources: db.NewResources(d), Idempotency: db.NewIdempotency(d),
		Verifier: vercelauth.NewVerifier(context.Background(), sim.Issuer(), sim.JWKSURL(), sim.ClientID(), nil),
		Catalog:  testCatalog, Metrics: m, Internal: internal, MaxBodyBytes: 64 << 10,
	}))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { svc.Run(ctx) })
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		srv.Close()
		d.Close()
	})
	e := &internalEnv{sim: sim, srv: srv, db: d, svc: svc, metrics: m}
	if e.token, err = sim.Install(context.Background(), srv.URL, testInstallation); err != nil {
		t.Fatal(err)
	}
	sim.SetResource(testInstallation, testResource, vercelsim.Resource{ProductID: "postgres", Name: "main"})
	if _, err := db.NewResources(d).PutResource(context.Background(), installations.Resource{
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
