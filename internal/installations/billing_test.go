package installations

import (
	"strings"
	"testing"
)

func TestSubjects(t *testing.T) {
	t.Parallel()
	c := Catalog{{ID: "db", Plans: []BillingPlan{
		{ID: "free", Type: "subscription", Name: "Free"},
		{ID: "pro", Type: "subscription", Name: "Pro", Price: "20.00",
			Meters: []Meter{{Name: "storage", Units: "GB", Type: "total", Price: "0.10", Included: "10"}}},
		{ID: "team", Type: "subscription", Name: "Team", Scope: ScopeInstallation, Price: "99"},
		{ID: "broken", Type: "subscription", Name: "Broken", Meters: []Meter{{Name: "x", Units: "u", Type: "total", Price: "1e3"}}},
	}}}
	in := Installation{ID: "icfg_1", BillingPlanID: "team", Account: Account{Name: "Acme"}}
	got, err := c.Subjects(in, []Resource{{ID: "r1", Name: "one", BillingPlanID: "pro"}, {ID: "r2", BillingPlanID: "free"}, {ID: "r3"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ResourceID != "" || got[0].Plan.Price.String() != "99" || got[1].ResourceID != "r1" ||
		got[1].Plan.Meters[0].Included.String() != "10" || got[1].Plan.Price.StringFixed(2) != "20.00" {
		t.Fatalf("subjects = %+v, want the installation (team) and r1 (pro)", got)
	}
	if _, err := c.Subjects(Installation{}, []Resource{{ID: "r4", BillingPlanID: "broken"}}); err == nil || !strings.Contains(err.Error(), `meter "x"`) {
		t.Errorf("broken plan: %v, want an error naming the meter", err)
	}
}
