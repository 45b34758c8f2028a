package resources_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/db/dbtest"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/provisioning"
	"github.com/vercel-partner/partner-server/internal/resources"
	"github.com/vercel-partner/partner-server/internal/vault"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelcall"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

const (
	inst  = "icfg_resources000000000000001"
	token = "vsim_token_for_resources"
)

var (
	free    = false
	catalog = installations.Catalog{{ID: "postgres", Name: "Postgres", Plans: []installations.BillingPlan{
		{ID: "free", Type: "subscription", Name: "Free", PaymentMethodRequired: &free},
		{ID: "pro", Type: "subscription", Name: "Pro"},
		{ID: "old", Type: "subscription", Name: "Old", Disabled: true},
	}}}
	hookSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
)

// env is the resource use cases over real stores (SQLite, or PostgreSQL
// when asked) and the real delivery queue, calling a simulator.
type env struct {
	svc    *resources.Service
	db     *db.DB
	insts  *db.Installations
	res    *db.Resources
	events *db.Events
	sim    *vercelsim.Sim
	queue  *deliveries.Service
	hook   *hookServer // nil in feed mode
}

// hookServer is the partner's provisioning hook: it checks the
// signature, records each request and answers with answer.
type hookServer struct {
	mu       sync.Mutex
	requests []provisioning.Request
	ids      []string // the webhook-id of each request
	status   int
	answer   string
	// hold, when set before the hook is used, makes requests of that
	// type wait: each sends on held, then waits for release to close.
	hold    string
	held    chan struct{}
	release chan struct{}
}

func (h *hookServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := provisioning.Verify(hookSecret, r.Header, body); err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var req provisioning.Request
	json.Unmarshal(body, &req)
	if h.hold != "" && req.Type == h.hold {
		h.held <- struct{}{}
		<-h.release
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.requests = append(h.requests, req)
	h.ids = append(h.ids, r.Header.Get("webhook-id"))
	if h.status != 0 {
		w.WriteHeader(h.status)
	}
	io.WriteString(w, h.answer)
}

func (h *hookServer) types() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.requests {
		out = append(out, r.Type)
	}
	return out
}

// newEnv opens the stores with open (dbtest.SQLite by default) and, with
// a hook, runs in hook mode.
func newEnv(t *testing.T, withHook bool, open ...func(testing.TB) *db.DB) *env {
	t.Helper()
	opener := dbtest.SQLite
	if len(open) > 0 {
		opener = open[0]
	}
	d := opener(t)
	v, err := vault.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{db: d, insts: db.NewInstallations(d, v), res: db.NewResources(d), events: db.NewEvents(d)}
	if e.sim, err = vercelsim.Start(vercelsim.Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.sim.Close)
	e.sim.RegisterInstallation(inst, token)
	if _, err := e.insts.Upsert(t.Context(), installations.Upsert{ID: inst, Scopes: []string{"read-write:integration-resource"},
		Credentials: installations.Credentials{AccessToken: token, TokenType: "Bearer"}}); err != nil {
		t.Fatal(err)
	}
	client, err := vercelapi.NewClient(e.sim.URL())
	if err != nil {
		t.Fatal(err)
	}
	queue := deliveries.New(deliveries.Deps{Store: db.NewDeliveries(d), Vault: v,
		Vercel: vercelcall.New(client, e.insts, 10*time.Second)}, deliveries.Options{FirstAttemptTimeout: 5 * time.Second})
	t.Cleanup(queue.Close)
	e.queue = queue
	deps := resources.Deps{Installations: e.insts, Resources: e.res, Tx: d.InTx, Catalog: catalog, Queue: queue}
	if withHook {
		e.hook = &hookServer{answer: `{"secrets":[{"name":"DATABASE_URL","value":"postgres://hook-made"}],"status":"ready"}`}
		srv := httptest.NewServer(e.hook)
		t.Cleanup(srv.Close)
		if deps.Hook, err = provisioning.New(srv.URL, hookSecret, 5*time.Second, nil); err != nil {
			t.Fatal(err)
		}
	}
	e.svc = resources.New(deps)
	return e
}

// put stores a ready resource of the installation, known to Vercel too.
func (e *env) put(t *testing.T, id, plan string) installations.Resource {
	t.Helper()
	r, err := e.res.PutResource(t.Context(), installations.Resource{ID: id, InstallationID: inst, ProductID: "postgres",
		Name: "main", BillingPlanID: plan, Status: "ready", Metadata: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	e.sim.SetResource(inst, id, vercelsim.Resource{ProductID: "postgres", Name: "main"})
	return r
}

// feed returns the events of the given types, oldest first.
func (e *env) feed(t *testing.T, types ...string) []installations.Event {
	t.Helper()
	evs, err := e.events.EventsAfter(t.Context(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []installations.Event
	for _, ev := range evs {
		for _, typ := range types {
			if ev.Type == typ {
				out = append(out, ev)
			}
		}
	}
	return out
}

// uninstall marks the installation uninstalled; finalized wipes its token.
func (e *env) uninstall(t *testing.T, finalized bool) {
	t.Helper()
	if _, err := e.insts.MarkDeleted(context.Background(), inst, finalized); err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

// runQueue runs the background delivery worker until the test ends.
func (e *env) runQueue(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.queue.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}
