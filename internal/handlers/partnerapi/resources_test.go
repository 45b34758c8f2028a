package partnerapi_test

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

func TestProvisionValidation(t *testing.T) {
	t.Parallel()
	e := newLifeEnv(t, nil)
	body := func(change func(m map[string]any)) map[string]any {
		m := e.provisionBody("cache", "redis-pro")
		change(m)
		return m
	}
	cases := []struct {
		name   string
		body   any
		fields []string
	}{
		{"unknown product", body(func(m map[string]any) { m["productId"] = "nope" }), []string{"productId"}},
		{"no product", body(func(m map[string]any) { delete(m, "productId") }), []string{"productId"}},
		{"no plan", body(func(m map[string]any) { delete(m, "billingPlanId") }), []string{"billingPlanId"}},
		{"plan of another product", body(func(m map[string]any) { m["billingPlanId"] = "kv-free" }), []string{"billingPlanId"}},
		{"disabled plan", body(func(m map[string]any) { m["billingPlanId"] = "redis-old" }), []string{"billingPlanId"}},
		{"another installation's private plan", body(func(m map[string]any) { m["billingPlanId"] = "redis-vip" }), []string{"billingPlanId"}},
		{"installation-scoped plan", body(func(m map[string]any) { m["billingPlanId"] = "team" }), []string{"billingPlanId"}},
		{"empty name", body(func(m map[string]any) { m["name"] = "  " }), []string{"name"}},
		{"bad region", body(func(m map[string]any) { m["metadata"] = map[string]any{"size": 2, "region": "mars"} }), []string{"metadata.region"}},
		{"missing required", body(func(m map[string]any) { m["metadata"] = map[string]any{} }), []string{"metadata.size"}},
		{"out of range and unknown key", body(func(m map[string]any) { m["metadata"] = map[string]any{"size": 11, "color": "red"} }),
			[]string{"metadata.color", "metadata.size"}},
		{"metadata not an object", body(func(m map[string]any) { m["metadata"] = []int{1} }), []string{"metadata"}},
		{"everything wrong at once", map[string]any{"productId": "redis", "name": "", "billingPlanId": "nope", "metadata": map[string]any{}},
			[]string{"name", "billingPlanId", "metadata.size"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := e.sim.Provision(t.Context(), e.URL, testInstallation, tc.body)
			if err != nil || resp.Status != 400 {
				t.Fatalf("%v %d %s, want 400", err, resp.Status, resp.Body)
			}
			if _, fields := errorOf(resp); !slices.Equal(fields, tc.fields) {
				t.Errorf("fields %v, want %v", fields, tc.fields)
			}
		})
	}
	if list, _ := e.App.Resources.ListResources(t.Context(), testInstallation); len(list) != 0 {
		t.Errorf("refused provisions left %d resources", len(list))
	}
	if resp, _ := e.sim.Provision(t.Context(), e.URL, testInstallation, []byte(`{"productId":`)); resp.Status != 400 {
		t.Errorf("malformed body: %d", resp.Status)
	}
}

func TestResourceRoutesRefuseWrongCallers(t *testing.T) {
	t.Parallel()
	e := newLifeEnv(t, nil)
	rid := e.provision(t, "cache", "redis-pro")
	idToken := vercelsim.WithBearer(e.sim.IDToken(testInstallation, "u1", "ADMIN", nil))
	other := vercelsim.WithBearer(e.sim.SystemToken(otherInstallation))
	user := vercelsim.AsUser("u2", "USER")
	ctx := t.Context()
	calls := map[string]func(o vercelsim.CallOption) (vercelsim.PartnerResponse, error){
		"provision": func(o vercelsim.CallOption) (vercelsim.PartnerResponse, error) {
			return e.sim.Provision(ctx, e.URL, testInstallation, e.provisionBody("x", "redis-pro"), o)
		},
		"get": func(o vercelsim.CallOption) (vercelsim.PartnerResponse, error) {
			return e.sim.GetResource(ctx, e.URL, testInstallation, rid, o)
		},
		"patch": func(o vercelsim.CallOption) (vercelsim.PartnerResponse, error) {
			return e.sim.UpdateResource(ctx, e.URL, testInstallation, rid, map[string]any{"name": "y"}, o)
		},
		"delete": func(o vercelsim.CallOption) (vercelsim.PartnerResponse, error) {
			return e.sim.DeleteResource(ctx, e.URL, testInstallation, rid, o)
		},
		"rotate": func(o vercelsim.CallOption) (vercelsim.PartnerResponse, error) {
			return e.sim.RotateSecrets(ctx, e.URL, testInstallation, rid, nil, o)
		},
		"purchase": func(o vercelsim.CallOption) (vercelsim.PartnerResponse, error) {
			return e.sim.ProvisionPurchase(ctx, e.URL, testInstallation, "inv_x", o)
		},
	}
	for name, call := range calls {
		for _, c := range []struct {
			who    string
			opt    vercelsim.CallOption
			status int
		}{{"id_token", idToken, 403}, {"other installation", other, 403}, {"user", user, 403}, {"no token", vercelsim.WithBearer(""), 401}} {
			if name == "get" && c.who == "user" {
				c.status = 200 // USER members may read
			}
			resp, err := call(c.opt)
			if err != nil || resp.Status != c.status || (c.status >= 400 && resp.JSON["error"] == nil) {
				t.Errorf("%s as %s: %v %d %s, want %d", name, c.who, err, resp.Status, resp.Body, c.status)
			}
		}
	}
	if res, err := e.App.Resources.GetResource(ctx, testInstallation, rid); err != nil || res.Name != "cache" {
		t.Errorf("refused calls changed the resource: %+v %v", res, err)
	}
	if list, _ := e.App.Resources.ListResources(ctx, testInstallation); len(list) != 1 {
		t.Errorf("refused provisions created resources: %d", len(list))
	}
}

func TestProvisionNeedsALiveInstallation(t *testing.T) {
	t.Parallel()
	e := newLifeEnv(t, nil)
	resp, _ := e.sim.Provision(t.Context(), e.URL, "icfg_unknown0000000000000", e.provisionBody("x", "redis-pro"))
	if resp.Status != 404 {
		t.Errorf("unknown installation: %d %s", resp.Status, resp.Body)
	}
	rid := e.provision(t, "cache", "redis-pro")
	if _, err := e.sim.Uninstall(t.Context(), e.URL, testInstallation); err != nil {
		t.Fatal(err)
	}
	in, _ := e.App.Installations.Get(t.Context(), testInstallation)
	if in.Status != "pending_finalization" {
		t.Fatalf("a paid resource left status %q", in.Status)
	}
	resp, _ = e.sim.Provision(t.Context(), e.URL, testInstallation, e.provisionBody("x", "redis-pro"))
	if code, _ := errorOf(resp); resp.Status != 409 || code == "" {
		t.Errorf("provision after uninstall: %d %s", resp.Status, resp.Body)
	}
	resp, _ = e.sim.UpdateResource(t.Context(), e.URL, testInstallation, rid, map[string]any{"name": "y"})
	if resp.Status != 409 {
		t.Errorf("update after uninstall: %d %s", resp.Status, resp.Body)
	}
	resp, _ = e.sim.CallPartner(t.Context(), "PATCH", e.URL+"/v1/installations/"+testInstallation, testInstallation,
		map[string]any{"billingPlanId": "team"})
	if resp.Status != 409 {
		t.Errorf("plan change after uninstall: %d %s", resp.Status, resp.Body)
	}
}

func TestConcurrentProvisionsWithOneKeyCreateOne(t *testing.T) {
	t.Parallel()
	e := newLifeEnv(t, nil)
	const n = 8
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp, err := e.sim.Provision(t.Context(), e.URL, testInstallation, e.provisionBody("cache", "redis-pro"),
				vercelsim.WithIdempotencyKey("prov-key-1"))
			if err != nil || resp.Status != http.StatusOK {
				t.Errorf("provision %d: %v %d %s", i, err, resp.Status, resp.Body)
				return
			}
			ids[i], _ = resp.JSON["id"].(string)
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] || !strings.HasPrefix(id, "res_") {
			t.Fatalf("ids %v, want one", ids)
		}
	}
	if list, _ := e.App.Resources.ListResources(t.Context(), testInstallation); len(list) != 1 {
		t.Errorf("%d resources, want 1", len(list))
	}
	if got := len(e.feed(t, "resource.provision_requested")); got != 1 {
		t.Errorf("%d provision requests on the feed, want 1", got)
	}
	// Without a key each provision is a new resource, with its own id.
	a, b := e.provision(t, "a", "redis-pro"), e.provision(t, "b", "redis-pro")
	if a == b || len(a) < 20 {
		t.Errorf("ids %q %q", a, b)
	}
}
