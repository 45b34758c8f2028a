package resources_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/db/dbtest"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/provisioning"
	"github.com/vercel-partner/partner-server/internal/resources"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

var drivers = map[string]func(testing.TB) *db.DB{"sqlite": dbtest.SQLite, "postgres": dbtest.Postgres}

func TestProvisionInFeedModeKeepsAPendingRowAndAsksOnTheFeed(t *testing.T) {
	t.Parallel()
	for name, open := range drivers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, false, open)
			out, err := e.svc.Provision(t.Context(), installations.KeyClaim{}, inst, resources.Provision{ProductID: "postgres", Name: " main ",
				BillingPlanID: "free", ExternalID: "ext-1"})
			if err != nil {
				t.Fatal(err)
			}
			if out.Resource.Status != "pending" || out.Resource.Name != "main" || out.Secrets == nil || len(out.Secrets) != 0 {
				t.Errorf("provisioned %+v, want a pending row named main and no secrets", out)
			}
			if _, err := e.res.GetResource(t.Context(), inst, out.Resource.ID); err != nil {
				t.Errorf("our row: %v", err)
			}
			evs := e.feed(t, installations.EventResourceProvisionRequested)
			if len(evs) != 1 || evs[0].Subject != out.Resource.ID || !strings.Contains(string(evs[0].Data), `"externalId":"ext-1"`) {
				t.Errorf("feed %+v, want one provision request naming the resource and its externalId", evs)
			}
		})
	}
}

func TestProvisionThroughTheHookPassesSecretsOnAndStoresNone(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	out, err := e.svc.Provision(t.Context(), installations.KeyClaim{}, inst, resources.Provision{ProductID: "postgres", Name: "main", BillingPlanID: "pro"})
	if err != nil {
		t.Fatal(err)
	}
	if out.Resource.Status != "ready" || len(out.Secrets) != 1 || out.Secrets[0].Value != "postgres://hook-made" {
		t.Errorf("provisioned %+v, want ready with the hook's secret", out)
	}
	if got := e.hook.types(); !slices.Equal(got, []string{provisioning.TypeProvision}) {
		t.Errorf("hook requests %v", got)
	}
	var n int
	if err := e.db.GetContext(t.Context(), &n, e.db.Rebind(`SELECT COUNT(*) FROM resources WHERE metadata LIKE ?`), "%hook-made%"); err != nil || n != 0 {
		t.Errorf("a secret value was stored: %d %v", n, err)
	}
	if evs := e.feed(t, installations.EventResourceProvisionRequested); len(evs) != 0 {
		t.Errorf("hook mode asked on the feed too: %+v", evs)
	}
}

func TestAFailingHookLeavesNothingBehind(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	e.hook.status, e.hook.answer = http.StatusInternalServerError, `{"secrets":[{"name":"X","value":"leak"}]}`
	_, err := e.svc.Provision(t.Context(), installations.KeyClaim{}, inst, resources.Provision{ProductID: "postgres", Name: "main", BillingPlanID: "pro"})
	if !errors.Is(err, provisioning.ErrHookFailed) {
		t.Fatalf("err = %v, want ErrHookFailed", err)
	}
	if list, _ := e.res.ListResources(t.Context(), inst); len(list) != 0 {
		t.Errorf("rows after a failed hook: %+v", list)
	}
}

func TestProvisionNamesEveryBadField(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	_, err := e.svc.Provision(t.Context(), installations.KeyClaim{}, inst, resources.Provision{ProductID: "postgres", Name: "", BillingPlanID: "old",
		Metadata: json.RawMessage(`[]`)})
	ae, ok := errors.AsType[*apperr.Error](err)
	if !ok || ae.Kind != apperr.Invalid {
		t.Fatalf("err = %v, want Invalid", err)
	}
	var keys []string
	for _, f := range ae.Fields {
		keys = append(keys, f.Key)
	}
	if !slices.Equal(keys, []string{"name", "billingPlanId", "metadata"}) {
		t.Errorf("fields %v, want name, billingPlanId and metadata", keys)
	}
}

func TestVercelChangesNothingOfAnUninstalledInstallation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	r := e.put(t, "res_1", "pro")
	e.uninstall(t, false)
	calls := map[string]func() error{
		"provision": func() error {
			_, err := e.svc.Provision(t.Context(), installations.KeyClaim{}, inst, resources.Provision{ProductID: "postgres", Name: "x", BillingPlanID: "free"})
			return err
		},
		"update": func() error {
			_, err := e.svc.Update(t.Context(), installations.KeyClaim{}, inst, r.ID, resources.Patch{Name: ptr("x")})
			return err
		},
		"rotate": func() error {
			_, err := e.svc.Rotate(t.Context(), installations.KeyClaim{}, inst, r.ID, "why", nil)
			return err
		},
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, installations.ErrUninstalled) {
			t.Errorf("%s: %v, want ErrUninstalled", name, err)
		}
	}
	if got, _ := e.res.GetResource(t.Context(), inst, r.ID); got.Name != "main" {
		t.Errorf("resource changed: %+v", got)
	}
}

func TestUpdateKeepsADisabledPlanButRefusesToMoveToOne(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	on := e.put(t, "res_on_old", "old")
	if _, err := e.svc.Update(t.Context(), installations.KeyClaim{}, inst, on.ID, resources.Patch{BillingPlanID: ptr("old"), Status: ptr("ready")}); err != nil {
		t.Errorf("staying on a disabled plan: %v", err)
	}
	other := e.put(t, "res_on_pro", "pro")
	_, err := e.svc.Update(t.Context(), installations.KeyClaim{}, inst, other.ID, resources.Patch{BillingPlanID: ptr("old"), Status: ptr("bogus")})
	if ae, ok := errors.AsType[*apperr.Error](err); !ok || len(ae.Fields) != 2 {
		t.Errorf("moving to a disabled plan with a bad status: %v, want both named", err)
	}
	if evs := e.feed(t, installations.EventResourceUpdateRequested); len(evs) != 1 || evs[0].Subject != on.ID {
		t.Errorf("feed %+v, want the one accepted update", evs)
	}
}

func TestChangeQueuesResourceUpdatedAndAnnouncesRenameAndPlan(t *testing.T) {
	t.Parallel()
	for name, open := range drivers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, false, open)
			r := e.put(t, "res_1", "free")
			out, d, err := e.svc.Change(t.Context(), "", inst, r.ID, resources.Patch{Name: ptr(" renamed "), BillingPlanID: ptr("pro")})
			if err != nil || d.Status != deliveries.StatusDelivered || d.Operation != deliveries.OpCreateEvent {
				t.Fatalf("change: %+v %+v %v", out, d, err)
			}
			if out.Name != "renamed" || out.BillingPlanID != "pro" {
				t.Errorf("resource %+v", out)
			}
			if evs := e.feed(t, installations.EventResourceRenamed, installations.EventResourceUpdateRequested); len(evs) != 2 {
				t.Errorf("feed %+v, want the rename and the plan change", evs)
			}
			reqs := e.sim.RequestsTo(vercelsim.RouteCreateEvent)
			if len(reqs) != 1 || !strings.Contains(string(reqs[0].Body), `"resource.updated"`) {
				t.Errorf("Vercel got %+v", reqs)
			}
		})
	}
}

func TestChangeOfAFinalizedInstallationChangesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	r := e.put(t, "res_1", "free")
	e.uninstall(t, true)
	_, _, err := e.svc.Change(t.Context(), "", inst, r.ID, resources.Patch{Name: ptr("renamed")})
	if !errors.Is(err, installations.ErrFinalized) {
		t.Fatalf("err = %v, want ErrFinalized", err)
	}
	if got, _ := e.res.GetResource(t.Context(), inst, r.ID); got.Name != "main" {
		t.Errorf("our copy changed: %+v", got)
	}
	if n := len(e.sim.RequestsTo(vercelsim.RouteCreateEvent)); n != 0 {
		t.Errorf("Vercel got %d events", n)
	}
}

func TestRenewSecretsForwardsTheHooksValues(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	r := e.put(t, "res_1", "free")
	rot, d, err := e.svc.RenewSecrets(t.Context(), r, "from the dashboard")
	if err != nil || !rot.Sync || d.Status != deliveries.StatusDelivered || d.Operation != deliveries.OpUpdateSecrets {
		t.Fatalf("renew: %+v %+v %v", rot, d, err)
	}
	if got := e.sim.Secrets(inst, r.ID); len(got) != 1 || got[0].Value != "postgres://hook-made" {
		t.Errorf("Vercel's secrets %+v", got)
	}
}

func TestRenewSecretsInFeedModeAsksThePartner(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	r := e.put(t, "res_1", "free")
	rot, d, err := e.svc.RenewSecrets(t.Context(), r, "from the dashboard")
	if err != nil || rot.Sync || d.ID != "" {
		t.Fatalf("renew: %+v %+v %v, want a request on the feed and no delivery", rot, d, err)
	}
	if evs := e.feed(t, installations.EventResourceSecretsRotationAsked); len(evs) != 1 || evs[0].Subject != r.ID {
		t.Errorf("feed %+v", evs)
	}
}

func TestDeleteAsksTheHookThenForgetsAndAnnounces(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	r := e.put(t, "res_1", "free")
	if err := e.svc.Delete(t.Context(), installations.KeyClaim{}, inst, r.ID); err != nil {
		t.Fatal(err)
	}
	if got := e.hook.types(); !slices.Equal(got, []string{provisioning.TypeDelete}) {
		t.Errorf("hook requests %v", got)
	}
	if _, err := e.res.GetResource(t.Context(), inst, r.ID); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("our copy after delete: %v", err)
	}
	if evs := e.feed(t, installations.EventResourceDeleted); len(evs) != 1 {
		t.Errorf("feed %+v", evs)
	}
	e.hook.status = http.StatusBadGateway
	r2 := e.put(t, "res_2", "free")
	if err := e.svc.Delete(t.Context(), installations.KeyClaim{}, inst, r2.ID); !errors.Is(err, provisioning.ErrHookFailed) {
		t.Errorf("delete with a failing hook: %v", err)
	}
	if _, err := e.res.GetResource(t.Context(), inst, r2.ID); err != nil {
		t.Errorf("our copy went though the hook failed: %v", err)
	}
}
