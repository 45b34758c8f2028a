package deliveries_test

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/vault"

	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelcall"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

const (
	inst  = "icfg_deliveries0000000000001"
	token = "vsim_token_for_deliveries"
)

// env is the queue over a real SQLite file, calling a simulator.
type env struct {
	sim      *vercelsim.Sim
	db       *db.DB
	store    *db.Deliveries
	events   *db.Events
	invoices *db.Invoices
	svc      *deliveries.Service
}

// fast are timings that keep retries within a test's patience.
var fast = deliveries.Options{BaseBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
	PollInterval: 10 * time.Millisecond, FirstAttemptTimeout: 5 * time.Second, AttemptTimeout: 30 * time.Second}

func newEnv(t *testing.T, opts deliveries.Options) *env {
	t.Helper()
	d, err := db.Open(t.Context(), "sqlite", filepath.Join(t.TempDir(), "q.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return newEnvOn(t, d, opts, nil)
}

// countedTokens counts the token reads the caller makes itself.
type countedTokens struct {
	vercelcall.Tokens
	n atomic.Int64
}

func (c *countedTokens) Token(ctx context.Context, id string) (string, error) {
	c.n.Add(1)
	return c.Tokens.Token(ctx, id)
}

// newEnvOn is newEnv on d; with counted set, the caller's own token
// reads are counted there.
func newEnvOn(t *testing.T, d *db.DB, opts deliveries.Options, counted *countedTokens) *env {
	t.Helper()
	ctx := t.Context()
	sim, err := vercelsim.Start(vercelsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	v, err := vault.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	insts := db.NewInstallations(d, v)
	if _, err := insts.Upsert(ctx, installations.Upsert{ID: inst, Scopes: []string{"read-write:integration-resource"},
		Credentials: installations.Credentials{AccessToken: token, TokenType: "Bearer"}}); err != nil {
		t.Fatal(err)
	}
	sim.RegisterInstallation(inst, token)
	for _, id := range []string{"db_1", "db_2"} {
		sim.SetResource(inst, id, vercelsim.Resource{ProductID: "postgres", Name: id})
	}
	client, err := vercelapi.NewClient(sim.URL())
	if err != nil {
		t.Fatal(err)
	}
	e := &env{sim: sim, db: d, store: db.NewDeliveries(d), events: db.NewEvents(d), invoices: db.NewInvoices(d)}
	var tokens vercelcall.Tokens = insts
	if counted != nil {
		counted.Tokens = insts
		tokens = counted
	}
	e.svc = deliveries.New(deliveries.Deps{Store: e.store, Vault: v,
		Vercel: vercelcall.New(client, tokens, 10*time.Second)}, opts)
	return e
}

// run starts the background worker; the returned stop cancels it and
// waits for Run to return.
func (e *env) run(t *testing.T) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { e.svc.Run(ctx) })
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			done := make(chan struct{})
			go func() { wg.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Error("Run did not return after its context ended")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// await polls the stored delivery until ok holds or the deadline passes.
func (e *env) await(t *testing.T, id string, ok func(deliveries.Delivery) bool) deliveries.Delivery {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		d, err := e.svc.Get(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if ok(d) {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery %s never reached the expected state; last %+v", id, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func status(s string) func(deliveries.Delivery) bool {
	return func(d deliveries.Delivery) bool { return d.Status == s }
}

func resourceEvent(resourceID string) deliveries.Write {
	return deliveries.CreateEvent(inst, &vercelapi.EventRequest{Event: vercelapi.ResourceUpdated(resourceID, "postgres")})
}

func secrets(resourceID, value string) deliveries.Write {
	return deliveries.UpdateSecrets(inst, resourceID, &vercelapi.SecretsUpdate{Secrets: []vercelapi.Secret{{Name: "DATABASE_URL", Value: value}}})
}

func fault(status int, header ...string) vercelsim.Fault {
	f := vercelsim.Fault{Status: status, Header: map[string][]string{}}
	for i := 0; i+1 < len(header); i += 2 {
		f.Header.Set(header[i], header[i+1])
	}
	return f
}
