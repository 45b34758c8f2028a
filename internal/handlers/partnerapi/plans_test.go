package partnerapi_test

import (
	"slices"
	"testing"

	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

func TestProductPlans(t *testing.T) {
	t.Parallel()
	e := newLifeEnv(t, nil)
	cases := []struct {
		name, installation, product, metadata string
		opts                                  []vercelsim.CallOption
		status                                int
		plans                                 []string
		field                                 string
	}{
		{name: "before installation", product: "redis", status: 200,
			plans: []string{"redis-free", "redis-pro", "redis-credits", "redis-old"}},
		{name: "with metadata", product: "redis", metadata: `{"region":"fra1"}`, status: 200,
			plans: []string{"redis-free", "redis-pro", "redis-credits", "redis-old"}},
		{name: "private plan for its installation", installation: otherInstallation, product: "redis",
			opts: []vercelsim.CallOption{vercelsim.AsSystem()}, status: 200,
			plans: []string{"redis-free", "redis-pro", "redis-credits", "redis-old", "redis-vip"}},
		{name: "user token may read", installation: testInstallation, product: "redis",
			opts: []vercelsim.CallOption{vercelsim.AsUser("u1", "USER")}, status: 200,
			plans: []string{"redis-free", "redis-pro", "redis-credits", "redis-old"}},
		{name: "metadata array", product: "redis", metadata: `[1]`, status: 400, field: "metadata"},
		{name: "metadata not json", product: "redis", metadata: `{bad`, status: 400, field: "metadata"},
		{name: "unknown product", product: "nope", status: 404},
		{name: "no token", product: "redis", opts: []vercelsim.CallOption{vercelsim.WithBearer("")}, status: 401},
		{name: "id_token", product: "redis", opts: []vercelsim.CallOption{
			vercelsim.WithBearer(e.sim.IDToken(testInstallation, "u1", "ADMIN", nil))}, status: 403},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := e.sim.ListProductPlans(t.Context(), e.URL, tc.installation, tc.product, tc.metadata, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.Status, tc.status, resp.Body)
			}
			if tc.plans != nil && !slices.Equal(planIDs(t, resp), tc.plans) {
				t.Errorf("plans %v, want %v", planIDs(t, resp), tc.plans)
			}
			if _, fields := errorOf(resp); tc.field != "" && !slices.Contains(fields, tc.field) {
				t.Errorf("fields %v, want %s", fields, tc.field)
			}
			if tc.status >= 400 && resp.JSON["error"] == nil {
				t.Errorf("no error envelope: %s", resp.Body)
			}
		})
	}
}

func TestInstallationAndResourcePlans(t *testing.T) {
	t.Parallel()
	e := newLifeEnv(t, nil)
	rid := e.provision(t, "cache", "redis-pro")
	resp, err := e.sim.ListInstallationPlans(t.Context(), e.URL, testInstallation, vercelsim.AsSystem())
	if err != nil || resp.Status != 200 || !slices.Equal(planIDs(t, resp), []string{"team"}) {
		t.Fatalf("installation plans: %v %d %s", err, resp.Status, resp.Body)
	}
	resp, _ = e.sim.ListResourcePlans(t.Context(), e.URL, testInstallation, rid, `{"size":3}`)
	if resp.Status != 200 || !slices.Equal(planIDs(t, resp), []string{"redis-free", "redis-pro", "redis-credits", "redis-old"}) {
		t.Fatalf("resource plans: %d %s", resp.Status, resp.Body)
	}
	checks := []struct {
		name   string
		call   func() (vercelsim.PartnerResponse, error)
		status int
	}{
		{"unknown resource", func() (vercelsim.PartnerResponse, error) {
			return e.sim.ListResourcePlans(t.Context(), e.URL, testInstallation, "res_nope", "")
		}, 404},
		{"bad metadata", func() (vercelsim.PartnerResponse, error) {
			return e.sim.ListResourcePlans(t.Context(), e.URL, testInstallation, rid, `"x"`)
		}, 400},
		{"other installation's token", func() (vercelsim.PartnerResponse, error) {
			return e.sim.ListResourcePlans(t.Context(), e.URL, testInstallation, rid, "",
				vercelsim.WithBearer(e.sim.SystemToken(otherInstallation)))
		}, 403},
		{"installation plans, other installation's token", func() (vercelsim.PartnerResponse, error) {
			return e.sim.ListInstallationPlans(t.Context(), e.URL, testInstallation,
				vercelsim.WithBearer(e.sim.SystemToken(otherInstallation)))
		}, 403},
		{"installation plans, id_token", func() (vercelsim.PartnerResponse, error) {
			return e.sim.ListInstallationPlans(t.Context(), e.URL, testInstallation,
				vercelsim.WithBearer(e.sim.IDToken(testInstallation, "u1", "ADMIN", nil)))
		}, 403},
	}
	for _, c := range checks {
		resp, err := c.call()
		if err != nil || resp.Status != c.status {
			t.Errorf("%s: %v %d %s, want %d", c.name, err, resp.Status, resp.Body, c.status)
		}
	}
}
