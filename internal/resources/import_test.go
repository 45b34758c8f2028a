package resources_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/resources"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

const importedSecret = "postgres://imported:S3cretValue@db.partner.example/app"

func linkedImport() resources.Import {
	return resources.Import{ProductID: "postgres", Name: " analytics ", BillingPlanID: ptr("pro"),
		Metadata: json.RawMessage(`{}`), Ownership: ptr(installations.OwnershipLinked),
		Secrets: []vercelapi.Secret{{Name: "DATABASE_URL", Value: importedSecret}}}
}

func TestImportKeepsOurCopyAndDeliversItWithItsSecretsThenWipesThem(t *testing.T) {
	t.Parallel()
	for name, open := range drivers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, false, open)
			res, d, err := e.svc.Import(t.Context(), "key-1", inst, "pg_analytics", linkedImport())
			if err != nil || d.Status != deliveries.StatusDelivered || d.Operation != deliveries.OpImportResource {
				t.Fatalf("import: %+v %+v %v", res, d, err)
			}
			got, err := e.res.GetResource(t.Context(), inst, "pg_analytics")
			if err != nil || got.Name != "analytics" || got.Ownership != installations.OwnershipLinked || got.Status != "ready" || got.BillingPlanID != "pro" {
				t.Errorf("our copy %+v %v", got, err)
			}
			vr, ok := e.sim.Resource(inst, "pg_analytics")
			if !ok || vr.Ownership != "linked" || vr.BillingPlanID != "pro" || len(vr.Secrets) != 1 || vr.Secrets[0].Value != importedSecret {
				t.Errorf("Vercel's copy %+v", vr)
			}
			var body, key string
			if err := e.db.QueryRowContext(t.Context(), e.db.Rebind(`SELECT body, body_key_id FROM deliveries WHERE id = ?`), d.ID).Scan(&body, &key); err != nil {
				t.Fatal(err)
			}
			if body != "" || key != "" {
				t.Errorf("the delivered row keeps body %q (key %q), want it wiped", body, key)
			}
			var n int
			if err := e.db.GetContext(t.Context(), &n, e.db.Rebind(`SELECT COUNT(*) FROM resources WHERE metadata LIKE ?`), "%S3cretValue%"); err != nil || n != 0 {
				t.Errorf("a secret value is in our copy: %d %v", n, err)
			}
		})
	}
}

func TestImportNamesEveryBadFieldAndQueuesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	in := resources.Import{ProductID: "postgres", Name: "", BillingPlanID: ptr("old"), Status: ptr("bogus"),
		Ownership: ptr("rented"), Metadata: json.RawMessage(`[]`),
		Secrets: []vercelapi.Secret{{Name: "database_url", Value: "x"}, {Name: "OK", Value: ""}}}
	_, _, err := e.svc.Import(t.Context(), "", inst, "pg_1", in)
	ae, ok := errors.AsType[*apperr.Error](err)
	if !ok || ae.Kind != apperr.Invalid {
		t.Fatalf("err = %v, want Invalid", err)
	}
	var keys []string
	for _, f := range ae.Fields {
		keys = append(keys, f.Key)
	}
	want := []string{"name", "billingPlanId", "metadata", "secrets[0].name", "secrets[1].value", "status", "ownership"}
	if !slices.Equal(keys, want) {
		t.Errorf("fields %v, want %v", keys, want)
	}
	if _, _, err := e.svc.Import(t.Context(), "", inst, "pg_1", resources.Import{ProductID: "mysql", Name: "x"}); apperr.KindOf(err) != apperr.Invalid {
		t.Errorf("an unknown product: %v", err)
	}
	if n := len(e.sim.RequestsTo(vercelsim.RouteImportResource)); n != 0 {
		t.Errorf("Vercel got %d imports", n)
	}
	if _, err := e.res.GetResource(t.Context(), inst, "pg_1"); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("a refused import left a copy: %v", err)
	}
}

func TestImportUpdatesOurCopyButNeverChangesItsProduct(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.put(t, "res_1", "free")
	res, _, err := e.svc.Import(t.Context(), "", inst, "res_1", resources.Import{ProductID: "postgres", Name: "renamed", Status: ptr("suspended")})
	if err != nil || res.Name != "renamed" || res.Status != "suspended" || res.BillingPlanID != "free" {
		t.Errorf("update: %+v %v, want renamed and suspended, still on free", res, err)
	}
	var other = installations.Resource{ID: "res_2", InstallationID: inst, ProductID: "mysql", Name: "m", Status: "ready"}
	if _, err := e.res.PutResource(t.Context(), other); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.Import(t.Context(), "", inst, "res_2", resources.Import{ProductID: "postgres", Name: "m"}); apperr.KindOf(err) != apperr.Conflict {
		t.Errorf("import over another product's resource: %v, want a conflict", err)
	}
}

func TestRemoveDeletesOurCopyOnlyOnceVercelTookTheDeletion(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.put(t, "res_1", "free")
	e.sim.SetDown(true)
	d, err := e.svc.Remove(t.Context(), "", inst, "res_1")
	if err != nil || d.Status != deliveries.StatusPending {
		t.Fatalf("remove while Vercel is down: %+v %v, want pending", d, err)
	}
	if _, err := e.res.GetResource(t.Context(), inst, "res_1"); err != nil {
		t.Errorf("our copy went before Vercel took the deletion: %v", err)
	}
	e.sim.SetDown(false)
	e.runQueue(t)
	if _, err := e.queue.Retry(t.Context(), d.ID); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := e.res.GetResource(t.Context(), inst, "res_1"); apperr.KindOf(err) == apperr.NotFound {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("our copy is still there")
		}
	}
	if _, ok := e.sim.Resource(inst, "res_1"); ok {
		t.Error("Vercel still has the resource")
	}
	if evs := e.feed(t, installations.EventResourceDeleted); len(evs) != 1 || !strings.Contains(string(evs[0].Data), "res_1") {
		t.Errorf("feed %+v, want one resource.deleted", evs)
	}
	if _, err := e.svc.Remove(t.Context(), "", inst, "res_nope"); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("removing an unknown resource: %v", err)
	}
}
