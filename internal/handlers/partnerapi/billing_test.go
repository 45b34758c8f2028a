package partnerapi_test

import (
	"encoding/json"
	"sync"
	"testing"

	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

func creditItems(t testing.TB, rid string) json.RawMessage {
	t.Helper()
	return must(json.Marshal([]map[string]any{
		{"billingPlanId": "redis-credits", "resourceId": rid, "name": "Credits", "price": "12.34", "quantity": 1, "units": "pack", "total": "12.34"},
		{"billingPlanId": "redis-credits", "name": "Team credits", "price": "0.05", "quantity": 100, "units": "credit", "total": "5.00"},
	}))
}

func TestProvisionPurchaseCreditsOnce(t *testing.T) {
	t.Parallel()
	e := newLifeEnv(t, nil)
	rid := e.provision(t, "cache", "redis-credits")
	inv := e.sim.SeedInvoice(testInstallation, vercelsim.Invoice{State: "paid", Total: "17.34", Items: creditItems(t, rid)})
	const n = 6
	bodies := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp, err := e.sim.ProvisionPurchase(t.Context(), e.URL, testInstallation, inv, vercelsim.AsSystem())
			if err != nil || resp.Status != 200 {
				t.Errorf("purchase %d: %v %d %s", i, err, resp.Status, resp.Body)
			}
			bodies[i] = string(resp.Body)
		})
	}
	wg.Wait()
	var got struct {
		Timestamp string
		Balances  []map[string]any
	}
	if err := json.Unmarshal([]byte(bodies[0]), &got); err != nil {
		t.Fatal(err)
	}
	for _, b := range bodies {
		if b != bodies[0] {
			t.Fatalf("repeats answered differently:\n%s\n%s", bodies[0], b)
		}
	}
	if len(got.Timestamp) != len("2006-01-02T15:04:05.000Z") || len(got.Balances) != 2 ||
		got.Balances[0]["resourceId"] != rid || got.Balances[0]["currencyValueInCents"] != 1234.0 ||
		got.Balances[1]["resourceId"] != nil || got.Balances[1]["currencyValueInCents"] != 500.0 {
		t.Fatalf("answer %s", bodies[0])
	}
	want := []installations.Balance{{ResourceID: "", Cents: 500}, {ResourceID: rid, Cents: 1234}}
	bal, err := e.App.Balances.Balances(t.Context(), testInstallation)
	if err != nil || len(bal) != 2 || bal[0] != want[0] || bal[1] != want[1] {
		t.Errorf("balances %+v %v, want %+v", bal, err, want)
	}
	// A second invoice adds to the same balances.
	inv2 := e.sim.SeedInvoice(testInstallation, vercelsim.Invoice{State: "paid", Total: "17.34", Items: creditItems(t, rid)})
	resp, _ := e.sim.ProvisionPurchase(t.Context(), e.URL, testInstallation, inv2)
	if resp.Status != 200 || string(must(json.Marshal(resp.JSON["balances"]))) != `[{"currencyValueInCents":2468,"resourceId":"`+rid+`"},{"currencyValueInCents":1000}]` {
		t.Errorf("second invoice: %d %s", resp.Status, resp.Body)
	}
}

func TestProvisionPurchaseRefusals(t *testing.T) {
	t.Parallel()
	e := newLifeEnv(t, nil)
	rid := e.provision(t, "cache", "redis-credits")
	unpaid := e.sim.SeedInvoice(testInstallation, vercelsim.Invoice{State: "pending", Total: "17.34", Items: creditItems(t, rid)})
	stranger := e.sim.SeedInvoice(testInstallation, vercelsim.Invoice{State: "paid", Total: "17.34", Items: creditItems(t, "res_notours")})
	cases := []struct {
		name, invoice string
		status        int
		code          string
	}{
		{"unpaid", unpaid, 409, "invoice_not_paid"},
		{"unknown resource", stranger, 422, "unknown_resource"},
		{"unknown invoice", "inv_nope", 404, ""},
		{"bad id", "../x", 400, "validation_error"},
	}
	for _, c := range cases {
		resp, err := e.sim.ProvisionPurchase(t.Context(), e.URL, testInstallation, c.invoice)
		code, _ := errorOf(resp)
		if err != nil || resp.Status != c.status || (c.code != "" && code != c.code) {
			t.Errorf("%s: %v %d %s", c.name, err, resp.Status, resp.Body)
		}
	}
	if bal, _ := e.App.Balances.Balances(t.Context(), testInstallation); len(bal) != 0 {
		t.Errorf("refused purchases credited %+v", bal)
	}
	// Paid later: now it credits.
	if err := e.sim.SetInvoiceState(testInstallation, unpaid, "paid"); err != nil {
		t.Fatal(err)
	}
	if resp, _ := e.sim.ProvisionPurchase(t.Context(), e.URL, testInstallation, unpaid); resp.Status != 200 {
		t.Errorf("paid later: %d %s", resp.Status, resp.Body)
	}
	if resp, _ := e.sim.ProvisionPurchase(t.Context(), e.URL, "icfg_unknown0000000000000", unpaid); resp.Status != 404 {
		t.Errorf("unknown installation: %d %s", resp.Status, resp.Body)
	}
}

// TestProvisionPurchaseBeyondInt64CentsIs422: a paid invoice whose item
// totals each fit in int64 cents but whose sum does not (or whose sum with
// the balance does not) is refused with 422, and nothing is credited.
func TestProvisionPurchaseBeyondInt64CentsIs422(t *testing.T) {
	t.Parallel()
	e := newLifeEnv(t, nil)
	rid := e.provision(t, "cache", "redis-credits")
	item := func(total string) map[string]any {
		return map[string]any{"billingPlanId": "redis-credits", "resourceId": rid, "name": "Credits", "price": total,
			"quantity": 1, "units": "pack", "total": total}
	}
	huge := e.sim.SeedInvoice(testInstallation, vercelsim.Invoice{State: "paid", Total: "100000000000000000.00",
		Items: must(json.Marshal([]map[string]any{item("50000000000000000.00"), item("50000000000000000.00")}))})
	resp, err := e.sim.ProvisionPurchase(t.Context(), e.URL, testInstallation, huge)
	if code, _ := errorOf(resp); err != nil || resp.Status != 422 || code != "amount_out_of_range" {
		t.Fatalf("items summing past int64 cents: %v %d %s, want 422 amount_out_of_range", err, resp.Status, resp.Body)
	}
	if bal, _ := e.App.Balances.Balances(t.Context(), testInstallation); len(bal) != 0 {
		t.Fatalf("refused purchase credited %+v", bal)
	}
	big := e.sim.SeedInvoice(testInstallation, vercelsim.Invoice{State: "paid", Total: "90000000000000000.00",
		Items: must(json.Marshal([]map[string]any{item("90000000000000000.00")}))})
	if resp, _ := e.sim.ProvisionPurchase(t.Context(), e.URL, testInstallation, big); resp.Status != 200 {
		t.Fatalf("a large purchase within range: %d %s", resp.Status, resp.Body)
	}
	more := e.sim.SeedInvoice(testInstallation, vercelsim.Invoice{State: "paid", Total: "3000000000000000.00",
		Items: must(json.Marshal([]map[string]any{item("3000000000000000.00")}))})
	if resp, _ := e.sim.ProvisionPurchase(t.Context(), e.URL, testInstallation, more); resp.Status != 422 {
		t.Errorf("a purchase taking the balance past int64 cents: %d %s, want 422", resp.Status, resp.Body)
	}
	if bal, _ := e.App.Balances.Balances(t.Context(), testInstallation); len(bal) != 1 || bal[0].Cents != 9000000000000000000 {
		t.Errorf("balances = %+v, want only the large purchase", bal)
	}
}
