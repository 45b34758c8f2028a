package installations

import (
	"slices"
	"testing"
)

func visibilityCatalog() Catalog {
	plan := func(id, typ, name, scope string, installations ...string) BillingPlan {
		return BillingPlan{ID: id, Type: typ, Name: name, Description: "d", Scope: scope, Installations: installations}
	}
	free, no := plan("free", "subscription", "Free", ""), false
	free.PaymentMethodRequired = &no
	old := plan("old", "subscription", "Old", "")
	old.Disabled = true
	return Catalog{
		{ID: "redis", Name: "Redis", Plans: []BillingPlan{
			free, old,
			plan("acme-deal", "subscription", "Deal", "", "icfg_acme"),
			plan("team", "subscription", "Team", ScopeInstallation),
			plan("acme-team", "subscription", "Acme team", ScopeInstallation, "icfg_acme"),
		}},
		{ID: "kv", Name: "KV", Plans: []BillingPlan{plan("kv-team", "prepayment", "KV team", ScopeInstallation)}},
	}
}

func planIDs(plans []BillingPlan) []string {
	ids := []string{}
	for _, p := range plans {
		ids = append(ids, p.ID)
	}
	return ids
}

func TestPlansForHonoursPrivateOffers(t *testing.T) {
	t.Parallel()
	c := visibilityCatalog()
	if lines := c.Validate(); len(lines) != 0 {
		t.Fatal(lines)
	}
	tests := []struct {
		product, installation string
		want                  []string
	}{
		{"redis", "", []string{"free", "old"}},
		{"redis", "icfg_other", []string{"free", "old"}},
		{"redis", "icfg_acme", []string{"free", "old", "acme-deal"}},
		{"kv", "icfg_acme", []string{}},
	}
	for _, tt := range tests {
		got, ok := c.PlansFor(tt.product, tt.installation)
		if !ok || !slices.Equal(planIDs(got), tt.want) {
			t.Errorf("PlansFor(%s, %q) = %v, %v; want %v", tt.product, tt.installation, planIDs(got), ok, tt.want)
		}
	}
	if _, ok := c.PlansFor("nope", "icfg_acme"); ok {
		t.Error("unknown product reported known")
	}
}

func TestPlanForAndInstallationPlans(t *testing.T) {
	t.Parallel()
	c := visibilityCatalog()
	tests := []struct {
		product, plan, installation string
		want                        bool
	}{
		{"redis", "free", "", true},
		{"redis", "old", "icfg_x", true},
		{"redis", "acme-deal", "icfg_acme", true},
		{"redis", "acme-deal", "icfg_other", false},
		{"redis", "acme-deal", "", false},
		{"redis", "team", "icfg_acme", false},
		{"kv", "free", "icfg_acme", false},
	}
	for _, tt := range tests {
		if _, ok := c.PlanFor(tt.product, tt.plan, tt.installation); ok != tt.want {
			t.Errorf("PlanFor(%s, %s, %q) = %v", tt.product, tt.plan, tt.installation, ok)
		}
	}
	if got := planIDs(c.InstallationPlans("icfg_acme")); !slices.Equal(got, []string{"team", "acme-team", "kv-team"}) {
		t.Errorf("acme installation plans %v", got)
	}
	if got := planIDs(c.InstallationPlans("icfg_other")); !slices.Equal(got, []string{"team", "kv-team"}) {
		t.Errorf("other installation plans %v", got)
	}
	if _, ok := c.InstallationPlanFor("acme-team", "icfg_other"); ok {
		t.Error("private installation plan visible to another installation")
	}
	if p, ok := c.ProductOfPlan("kv-team"); !ok || p.ID != "kv" {
		t.Errorf("ProductOfPlan = %v, %v", p.ID, ok)
	}
	if pl, ok := c.Plan("acme-deal"); !ok || pl.Name != "Deal" {
		t.Error("Plan must find private plans by id")
	}
}
