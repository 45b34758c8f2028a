package transfers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// invoiceLines returns the lines of the installation's March invoice as
// "resourceId name total".
func invoiceLines(t *testing.T, e *env, id string) []string {
	t.Helper()
	invs := e.Sim.InvoicesForPeriod(id, vercelsim.Period{Start: "2026-03-01T00:00:00Z", End: "2026-04-01T00:00:00Z"})
	if len(invs) != 1 {
		t.Fatalf("%s has %d invoices for March, want 1", id, len(invs))
	}
	var body struct {
		Items []struct {
			ResourceID string `json:"resourceId"`
			Name       string `json:"name"`
			Total      string `json:"total"`
		} `json:"items"`
	}
	if err := json.Unmarshal(invs[0].Submitted, &body); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, it := range body.Items {
		out = append(out, it.ResourceID+" "+it.Name+" "+it.Total)
	}
	slices.Sort(out)
	return out
}

// TestAClaimMovesResourcesUsageBalancesAndConnections walks Vercel's
// whole claim flow between two installations in the middle of March:
// the resources land at the target with their project connection and
// prepaid balance; usage before the accept is invoiced to the source,
// usage after it to the target, and the month's flat fee once.
func TestAClaimMovesResourcesUsageBalancesAndConnections(t *testing.T) {
	t.Parallel()
	eachStore(t, date("2026-03-05T12:00:00Z"), func(t *testing.T, e *env) {
		ctx := context.Background()
		e.put(t, source, "db_main", "pro")
		e.put(t, source, "db_credits", "credits")
		if _, err := e.App.Balances.CreditInvoice(ctx, source, "inv_credit", []installations.Credit{{ResourceID: "db_credits", Cents: 500}}); err != nil {
			t.Fatal(err)
		}
		var status int
		e.real(func() {
			status, _ = e.Sim.DeliverWebhook(ctx, e.URL+"/webhooks/vercel", e.Sim.ProjectConnectedEvent(source, "db_main",
				vercelsim.Project{ID: "prj_app", Name: "app"}, []string{"production"}))
		})
		if status != http.StatusOK {
			t.Fatalf("project webhook: %d", status)
		}
		for _, u := range []struct{ id, res, meter, value, at string }{
			{"s1", "db_main", "storage", "30", "2026-03-06T00:00:00Z"},
			{"s2", "db_main", "queries", "100", "2026-03-06T00:00:00Z"},
			{"s3", "db_credits", "tokens", "4", "2026-03-06T00:00:00Z"},
		} {
			if code, body := e.usage(t, source, u.id, u.res, u.meter, u.value, date(u.at)); code != http.StatusOK {
				t.Fatalf("usage %s: %d %v", u.id, code, body)
			}
		}
		e.run(t, date("2026-03-07T00:00:00Z")) // draws 100 cents of the prepaid balance
		if _, err := e.App.DB.ExecContext(ctx, e.App.DB.Rebind(`INSERT INTO experimentation_items
			(installation_id, resource_id, id, body, updated_at) VALUES (?, ?, ?, ?, ?)`), source, "db_main", "flag_1", `{}`, 0); err != nil {
			t.Fatal(err)
		}

		e.clk.Set(date("2026-03-15T00:00:00Z"))
		claim := e.claim(t, source, "db_main", "db_credits")
		if v := e.verify(t, target, claim); v.Status != http.StatusOK || v.JSON["valid"] != true {
			t.Fatalf("verify: %d %s", v.Status, v.Body)
		}
		if a := e.accept(t, target, claim); a.Status != http.StatusNoContent {
			t.Fatalf("accept: %d %s", a.Status, a.Body)
		}

		for _, rid := range []string{"db_main", "db_credits"} {
			if code, _ := e.call(t, "GET", "/installations/"+target+"/resources/"+rid, ""); code != http.StatusOK {
				t.Errorf("%s at the target: %d", rid, code)
			}
			if code, _ := e.call(t, "GET", "/installations/"+source+"/resources/"+rid, ""); code != http.StatusNotFound {
				t.Errorf("%s still at the source: %d", rid, code)
			}
			if _, ok := e.Sim.Resource(target, rid); !ok {
				t.Errorf("Vercel's copy of %s did not move", rid)
			}
		}
		if got, _ := e.App.Webhooks.ListResourceProjects(ctx, target, "db_main"); len(got) != 1 || got[0].ProjectID != "prj_app" {
			t.Errorf("connections at the target: %+v", got)
		}
		if got, _ := e.App.Webhooks.ListResourceProjects(ctx, source, "db_main"); len(got) != 0 {
			t.Errorf("connections left at the source: %+v", got)
		}
		if got, _ := db.NewExperimentation(e.App.DB).FindExperimentationItems(ctx, target, "flag_1"); len(got) != 1 || got[0].ResourceID != "db_main" {
			t.Errorf("experimentation items at the target: %+v", got)
		}
		if got := balanceOf(t, e, target, "db_credits"); got != 400 {
			t.Errorf("balance at the target: %d cents, want 400 (500 less the 100 drawn before)", got)
		}
		if got := balanceOf(t, e, source, "db_credits"); got != -1 {
			t.Errorf("balance left at the source: %d cents", got)
		}
		if evs := e.feed(t, installations.EventResourceTransferred); len(evs) != 1 || evs[0].InstallationID != target {
			t.Errorf("feed: %+v, want one resource.transferred", evs)
		}

		after := map[string]struct{ inst, res, meter, value string }{
			"t1": {target, "db_main", "storage", "12"}, "t2": {target, "db_main", "queries", "50"},
			"t3": {target, "db_credits", "tokens", "8"},
		}
		for id, u := range after {
			if code, body := e.usage(t, u.inst, id, u.res, u.meter, u.value, date("2026-03-20T00:00:00Z")); code != http.StatusOK {
				t.Fatalf("usage %s at the target: %d %v", id, code, body)
			}
		}
		if code, _ := e.usage(t, source, "late", "db_main", "queries", "1", date("2026-03-20T00:00:00Z")); code != http.StatusBadRequest {
			t.Errorf("usage after the transfer at the source: %d, want 400", code)
		}
		e.clk.Set(date("2026-03-20T00:00:00Z"))
		if code, _ := e.usage(t, target, "early", "db_main", "queries", "1", date("2026-03-10T00:00:00Z")); code != http.StatusBadRequest {
			t.Errorf("usage from before the transfer at the target: %d, want 400", code)
		}

		e.run(t, date("2026-04-01T02:00:00Z"))
		wantSource := []string{"db_main Pro plan · db_main 20.00", "db_main queries · db_main 1.00", "db_main storage · db_main 2.00"}
		if got := invoiceLines(t, e, source); !slices.Equal(got, wantSource) {
			t.Errorf("source's March invoice %q, want %q", got, wantSource)
		}
		wantTarget := []string{"db_main queries · db_main 0.50", "db_main storage · db_main 0.20"}
		if got := invoiceLines(t, e, target); !slices.Equal(got, wantTarget) {
			t.Errorf("target's March invoice %q, want %q (usage after the accept, no second flat fee)", got, wantTarget)
		}
		if got := balanceOf(t, e, target, "db_credits"); got != 200 {
			t.Errorf("balance at the target after March: %d cents, want 200", got)
		}
	})
}

// balanceOf is a resource's prepaid balance in cents, -1 when it has none.
func balanceOf(t *testing.T, e *env, id, resourceID string) int64 {
	t.Helper()
	list, err := e.App.Balances.Balances(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range list {
		if b.ResourceID == resourceID {
			return b.Cents
		}
	}
	return -1
}
