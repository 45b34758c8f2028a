package autopilot_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// TestLinkedResourcesAreLeftOutOfBilling: a resource the partner imported
// as linked is billed outside Vercel: no interim data, no invoice line,
// no usage taken for it, while an owned one beside it is billed.
func TestLinkedResourcesAreLeftOutOfBilling(t *testing.T) {
	e := newEnv(t, date("2027-01-02T09:00:00Z"))
	e.install(t, "icfg_a", "db_owned", "pro")
	if _, err := e.App.Resources.PutResource(context.Background(), installations.Resource{ID: "db_linked", InstallationID: "icfg_a",
		ProductID: "db", Name: "db_linked", Status: "ready", BillingPlanID: "pro", Ownership: installations.OwnershipLinked}); err != nil {
		t.Fatal(err)
	}
	code, body := e.usageAt(t, "icfg_a", date("2027-01-03T10:00:00Z"),
		`{"id":"l1","resourceId":"db_linked","meter":"storage","value":50,"at":"2027-01-03T10:00:00Z"}`)
	if code != http.StatusBadRequest {
		t.Errorf("usage of a linked resource: %d %v, want 400", code, body)
	}
	e.usage(t, "icfg_a", `{"id":"o1","resourceId":"db_owned","meter":"storage","value":12,"at":"2027-01-03T10:00:00Z"}`)
	e.run(t, date("2027-01-10T00:00:00Z"))
	e.run(t, date("2027-02-01T02:00:00Z"))
	invoices := e.Sim.InvoicesForPeriod("icfg_a", month("2027-01-01T00:00:00Z"))
	if len(invoices) != 1 || invoices[0].Total != "20.20" {
		t.Fatalf("January invoices %+v, want one of 20.20 for the owned resource only", invoices)
	}
	for _, r := range e.Sim.RequestsTo(vercelsim.RouteSubmitBillingData) {
		if containsString(r.Body, "db_linked") {
			t.Errorf("interim data names the linked resource: %s", r.Body)
		}
	}
	if containsString(invoices[0].Submitted, "db_linked") {
		t.Errorf("the invoice names the linked resource: %s", invoices[0].Submitted)
	}
}

func containsString(b []byte, s string) bool { return strings.Contains(string(b), s) }
