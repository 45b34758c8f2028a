package lifecycle_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/db/dbtest"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/lifecycle"
	"github.com/vercel-partner/partner-server/internal/vault"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelcall"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

const token = "vsim_token_for_lifecycle"

var (
	free    = false
	catalog = installations.Catalog{{ID: "postgres", Name: "Postgres", Plans: []installations.BillingPlan{
		{ID: "free", Type: "subscription", Name: "Free", PaymentMethodRequired: &free},
		{ID: "pro", Type: "subscription", Name: "Pro", Price: "20.00"},
		{ID: "metered", Type: "subscription", Name: "Metered", Meters: []installations.Meter{
			{Name: "storage", Units: "GB", Type: installations.MeterTotal, Price: "0.10"}}},
		{ID: "free-metered", Type: "subscription", Name: "Free metered", PaymentMethodRequired: &free, Meters: []installations.Meter{
			{Name: "storage", Units: "GB", Type: installations.MeterTotal, Price: "0.00"}}},
	}}}
	// now is the ledger's clock: usage must fall in its open period.
	now = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
)

// env is the installation use cases over real stores and the real
// delivery queue, calling a simulator.
type env struct {
	db    *db.DB
	svc   *lifecycle.Service
	insts *db.Installations
	res   *db.Resources
	usage *db.Billing
	sim   *vercelsim.Sim
}

func newEnv(t *testing.T, open func(testing.TB) *db.DB) *env {
	t.Helper()
	d := open(t)
	v, err := vault.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	d.Now = func() time.Time { return now }
	e := &env{insts: db.NewInstallations(d, v), res: db.NewResources(d), usage: db.NewBilling(d)}
	if e.sim, err = vercelsim.Start(vercelsim.Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.sim.Close)
	client, err := vercelapi.NewClient(e.sim.URL())
	if err != nil {
		t.Fatal(err)
	}
	caller := vercelcall.New(client, e.insts, 10*time.Second)
	queue := deliveries.New(deliveries.Deps{Store: db.NewDeliveries(d), Vault: v, Vercel: caller},
		deliveries.Options{FirstAttemptTimeout: 5 * time.Second})
	t.Cleanup(queue.Close)
	e.db = d
	e.svc = lifecycle.New(lifecycle.Deps{Installations: e.insts, Resources: e.res, Usage: e.usage, Balances: db.NewBalances(d),
		Billing: e.usage, Tx: d.InTx, Catalog: catalog, Queue: queue, Vercel: caller, Now: func() time.Time { return now }})
	return e
}

// install installs id with one resource on plan.
func (e *env) install(t *testing.T, id, plan string) {
	t.Helper()
	if _, err := e.svc.Install(t.Context(), installations.Upsert{ID: id, Scopes: []string{"read-write:integration-resource"},
		Credentials: installations.Credentials{AccessToken: token, TokenType: "Bearer"}}); err != nil {
		t.Fatal(err)
	}
	e.sim.RegisterInstallation(id, token)
	if _, err := e.res.PutResource(t.Context(), installations.Resource{ID: "res_" + id, InstallationID: id, ProductID: "postgres",
		Name: "main", BillingPlanID: plan, Status: "ready"}); err != nil {
		t.Fatal(err)
	}
}

func (e *env) status(t *testing.T, id string) string {
	t.Helper()
	in, err := e.insts.Get(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return in.Status
}

func TestUninstallFinalizesAtOnceOnlyWhenNothingIsBillable(t *testing.T) {
	t.Parallel()
	for name, open := range map[string]func(testing.TB) *db.DB{"sqlite": dbtest.SQLite, "postgres": dbtest.Postgres} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, open)
			e.install(t, "icfg_free", "free")
			e.install(t, "icfg_paid", "pro")
			for _, tc := range []struct {
				id        string
				finalized bool
				status    string
			}{
				{"icfg_free", true, installations.StatusDeleted},
				{"icfg_paid", false, installations.StatusPendingFinalization},
				{"icfg_free", true, installations.StatusDeleted}, // a repeat changes nothing
			} {
				finalized, err := e.svc.Uninstall(t.Context(), tc.id)
				if err != nil || finalized != tc.finalized || e.status(t, tc.id) != tc.status {
					t.Errorf("uninstall %s: finalized=%v %v, status %s; want %v, %s", tc.id, finalized, err, e.status(t, tc.id), tc.finalized, tc.status)
				}
			}
			if _, err := e.insts.Token(t.Context(), "icfg_free"); err == nil {
				t.Error("the finalized installation still has its token")
			}
			if _, err := e.insts.Token(t.Context(), "icfg_paid"); err != nil {
				t.Errorf("the installation waiting for its final invoice lost its token: %v", err)
			}
		})
	}
}

func TestFinalizeOnlyAnUninstalledInstallationThenNothingMore(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite)
	e.install(t, "icfg_1", "pro")
	if _, err := e.svc.Finalize(t.Context(), "", "icfg_1"); !errors.Is(err, installations.ErrNotUninstalled) {
		t.Fatalf("finalize while installed: %v, want ErrNotUninstalled", err)
	}
	if _, err := e.svc.Uninstall(t.Context(), "icfg_1"); err != nil {
		t.Fatal(err)
	}
	var seen string
	d, err := e.svc.Finalize(t.Context(), "", "icfg_1", func(_ context.Context, _ installations.Tx, deliveryID string) error {
		seen = deliveryID
		return nil
	})
	if err != nil || d.Status != deliveries.StatusDelivered || seen != d.ID {
		t.Fatalf("finalize: %+v %v; the local change saw delivery %q", d, err, seen)
	}
	if !e.sim.Finalized("icfg_1") || e.status(t, "icfg_1") != installations.StatusDeleted {
		t.Errorf("Vercel finalized %v, status %s", e.sim.Finalized("icfg_1"), e.status(t, "icfg_1"))
	}
	// A finalized installation takes nothing more.
	if _, err := e.svc.Finalize(t.Context(), "", "icfg_1"); !errors.Is(err, installations.ErrFinalized) {
		t.Errorf("finalize again: %v", err)
	}
	if _, _, err := e.svc.AddUsage(t.Context(), "icfg_1", []lifecycle.UsageRecord{{ID: "u1", ResourceID: "res_icfg_1",
		Meter: "storage", Value: json.RawMessage("1"), At: now.Format(time.RFC3339)}}); !errors.Is(err, installations.ErrFinalized) {
		t.Errorf("usage after finalization: %v", err)
	}
	if _, err := e.svc.Get(t.Context(), "icfg_1"); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("Vercel's read after finalization: %v, want NotFound", err)
	}
	if finalized, err := e.svc.Uninstall(t.Context(), "icfg_1"); err != nil || !finalized {
		t.Errorf("uninstall after finalization: %v %v", finalized, err)
	}
}

func TestSetPlan(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite)
	e.install(t, "icfg_1", "free")
	if in, err := e.svc.SetPlan(t.Context(), "icfg_1", nil); err != nil || in.BillingPlanID != "" {
		t.Errorf("no plan: %+v %v", in, err)
	}
	_, err := e.svc.SetPlan(t.Context(), "icfg_1", new("nope"))
	if ae, ok := errors.AsType[*apperr.Error](err); !ok || ae.Kind != apperr.Invalid || len(ae.Fields) != 1 || ae.Fields[0].Key != "billingPlanId" {
		t.Errorf("unknown plan: %v", err)
	}
	if in, err := e.svc.SetPlan(t.Context(), "icfg_1", new("pro")); err != nil || in.BillingPlanID != "pro" {
		t.Errorf("pro: %+v %v", in, err)
	}
	if _, err := e.svc.Uninstall(t.Context(), "icfg_1"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetPlan(t.Context(), "icfg_1", new("free")); !errors.Is(err, installations.ErrUninstalled) {
		t.Errorf("after uninstall: %v, want ErrUninstalled", err)
	}
}

func TestAddUsageKeepsAllOrNone(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite)
	e.install(t, "icfg_1", "metered")
	at := now.Add(-time.Hour).Format(time.RFC3339)
	good := lifecycle.UsageRecord{ID: "u1", ResourceID: "res_icfg_1", Meter: "storage", Value: json.RawMessage("2.5"), At: at}
	bad := lifecycle.UsageRecord{ID: "u2", ResourceID: "res_unknown", Meter: "storage", Value: json.RawMessage(`"3"`), At: "yesterday"}
	_, _, err := e.svc.AddUsage(t.Context(), "icfg_1", []lifecycle.UsageRecord{good, bad})
	ae, ok := errors.AsType[*apperr.Error](err)
	var keys []string
	for _, f := range ae.Fields {
		keys = append(keys, f.Key)
	}
	if !ok || !slices.Equal(keys, []string{"records[1].value", "records[1].at", "records[1].resourceId", "records[1].meter"}) {
		t.Fatalf("err = %v (fields %v)", err, keys)
	}
	if got, _ := e.usage.Usage(t.Context(), "icfg_1", now.AddDate(0, -1, 0), now.AddDate(0, 1, 0)); len(got) != 0 {
		t.Fatalf("records kept from a refused batch: %+v", got)
	}
	for i, want := range []int{1, 0} { // the repeat is accepted, not new
		accepted, added, err := e.svc.AddUsage(t.Context(), "icfg_1", []lifecycle.UsageRecord{good})
		if err != nil || accepted != 1 || added != want {
			t.Errorf("report %d: accepted %d new %d %v, want 1 and %d", i, accepted, added, err, want)
		}
	}
}
