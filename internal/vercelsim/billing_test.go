package vercelsim

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestSeedInvoice(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 10, 15, 13, 0, 0, 0, time.UTC)
	s := startSim(t, Options{Now: func() time.Time { return now }})
	id, token, _ := newInstallation(t, s)
	items := json.RawMessage(`[{"billingPlanId":"credits","resourceId":"db_1","name":"Credits","price":"10.00","quantity":1,"units":"pack","total":"10.00"}]`)
	tests := []struct {
		name  string
		inv   Invoice
		check func(t *testing.T, got map[string]any)
	}{
		{name: "paid purchase", inv: Invoice{State: "paid", Total: "10.00", Items: items}, check: func(t *testing.T, got map[string]any) {
			if got["state"] != "paid" || got["total"] != "10.00" || got["paidAt"] != "2026-10-15T13:00:00.000Z" {
				t.Errorf("invoice %v", got)
			}
			if it := got["items"].([]any); len(it) != 1 || it[0].(map[string]any)["resourceId"] != "db_1" {
				t.Errorf("items %v", got["items"])
			}
		}},
		{name: "defaults", inv: Invoice{}, check: func(t *testing.T, got map[string]any) {
			p := got["period"].(map[string]any)
			if got["state"] != "pending" || got["total"] != "0.00" || p["start"] != "2026-10-01T00:00:00.000Z" || p["end"] != "2026-11-01T00:00:00.000Z" {
				t.Errorf("invoice %v", got)
			}
			for _, k := range []string{"invoiceId", "invoiceDate", "items", "created", "updated", "invoiceNumber"} {
				if got[k] == nil {
					t.Errorf("required %s missing in %v", k, got)
				}
			}
		}},
		{name: "chosen id and state", inv: Invoice{InvoiceID: "inv_mine", State: "notpaid", Total: "3.50", ExternalID: "ext-1"}, check: func(t *testing.T, got map[string]any) {
			if got["invoiceId"] != "inv_mine" || got["state"] != "notpaid" || got["externalId"] != "ext-1" {
				t.Errorf("invoice %v", got)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			invID := s.SeedInvoice(id, tt.inv)
			r := call(t, s, "GET", "/v1/installations/"+id+"/billing/invoices/"+invID, token, nil)
			if r.status != 200 {
				t.Fatalf("getInvoice: %d %s", r.status, r.body)
			}
			tt.check(t, parse(t, string(r.body)))
		})
	}

	invID := s.SeedInvoice(id, Invoice{Total: "5.00"})
	for _, state := range []string{"paid", "overdue", "refunded"} {
		if err := s.SetInvoiceState(id, invID, state); err != nil {
			t.Fatal(err)
		}
		if r := call(t, s, "GET", "/v1/installations/"+id+"/billing/invoices/"+invID, token, nil); parse(t, string(r.body))["state"] != state {
			t.Errorf("after SetInvoiceState(%s): %s", state, r.body)
		}
	}
	for _, bad := range []Invoice{{State: "issued"}, {Total: "-1.00"}, {Total: "1e3"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("SeedInvoice(%+v) did not panic", bad)
				}
			}()
			s.SeedInvoice(id, bad)
		}()
	}
}

func TestSubmittedInvoicesByPeriod(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	id, token, first := newInstallation(t, s)
	november := strings.NewReplacer("inv_2026_10_0042", "inv_2026_11", "2026-10-31T12", "2026-11-30T12",
		`"start": "2026-10-01T00:00:00.000Z", "end": "2026-11-01T00:00:00.000Z"`, `"start": "2026-11-01T00:00:00.000Z", "end": "2026-12-01T00:00:00.000Z"`).Replace(validInvoice)
	if r := call(t, s, "POST", "/v1/installations/"+id+"/billing/invoices", token, []byte(november)); r.status != 200 {
		t.Fatalf("november: %d %s", r.status, r.body)
	}
	// The same externalId again, even for another period, is a conflict.
	if r := call(t, s, "POST", "/v1/installations/"+id+"/billing/invoices", token, []byte(november)); r.status != 409 || !strings.HasPrefix(errorMessage(t, r.body), "conflict") {
		t.Errorf("duplicate externalId: %d %s", r.status, r.body)
	}
	// Another installation may reuse it.
	other, otherToken, _ := newInstallation(t, s)
	if r := call(t, s, "POST", "/v1/installations/"+other+"/billing/invoices", otherToken, []byte(november)); r.status != 200 {
		t.Errorf("externalId in another installation: %d %s", r.status, r.body)
	}
	oct := s.InvoicesForPeriod(id, Period{Start: "2026-10-01T00:00:00Z", End: "2026-11-01T00:00:00+00:00"})
	if len(oct) != 1 || oct[0].InvoiceID != first || !strings.Contains(string(oct[0].Submitted), `"memo":"October 2026"`) {
		t.Fatalf("October invoices %+v", oct)
	}
	nov := s.InvoicesForPeriod(id, Period{Start: "2026-11-01T00:00:00.000Z", End: "2026-12-01T00:00:00.000Z"})
	if len(nov) != 1 || nov[0].ExternalID != "inv_2026_11" || string(nov[0].Submitted) != november {
		t.Errorf("November invoices %+v", nov)
	}
	if got := s.InvoicesForPeriod(id, Period{Start: "bad", End: "x"}); got != nil {
		t.Errorf("bad period matched %v", got)
	}
}

func TestBillingByDayKeepsLatest(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 10, 15, 13, 0, 0, 0, time.UTC)
	s := startSim(t, Options{Now: func() time.Time { return now }})
	id, token, _ := newInstallation(t, s)
	send := func(at time.Time, eodDay int, marker string) {
		t.Helper()
		body := parse(t, billingBody(now, false))
		body["timestamp"] = ts(at)
		body["eod"] = ts(time.Date(2026, 10, eodDay, 23, 59, 59, 0, time.UTC))
		body["usage"].([]any)[0].(map[string]any)["name"] = marker
		if r := call(t, s, "POST", "/v1/installations/"+id+"/billing", token, body); r.status != 201 {
			t.Fatalf("submit: %d %s", r.status, r.body)
		}
	}
	send(now.Add(-2*time.Hour), 15, "first")
	send(now, 15, "latest")
	send(now.Add(-time.Hour), 15, "late backfill") // older timestamp, arrives last
	send(now.Add(-20*time.Hour), 14, "yesterday")
	days := s.BillingByDay(id)
	if len(days) != 2 || !strings.Contains(string(days["2026-10-15"]), `"latest"`) || !strings.Contains(string(days["2026-10-14"]), `"yesterday"`) {
		t.Errorf("days %s", fmt.Sprint(days))
	}
	if n := len(s.BillingSubmissions(id)); n != 4 {
		t.Errorf("%d submissions kept, want 4", n)
	}
}

func TestBalancesAndFinalize(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	id, token, _ := newInstallation(t, s)
	path := "/v1/installations/" + id + "/billing/"
	if got := s.Balances(id); got != nil {
		t.Errorf("balances before any: %v", got)
	}
	for _, cents := range []string{"100", "1250"} {
		body := fmt.Sprintf(`{"timestamp": %q, "balances": [{"resourceId": "db_1", "credit": "2,000 Tokens", "nameLabel": "Tokens", "currencyValueInCents": %s}]}`, ts(time.Now()), cents)
		if r := call(t, s, "POST", path+"balance", token, []byte(body)); r.status != 201 || len(r.body) != 0 {
			t.Fatalf("balance: %d %s", r.status, r.body)
		}
	}
	if r := call(t, s, "POST", path+"balance", token, []byte(`{"timestamp": "now", "balances": []}`)); r.status != 400 {
		t.Errorf("bad timestamp: %d", r.status)
	}
	want := []Balance{{ResourceID: "db_1", Credit: "2,000 Tokens", NameLabel: "Tokens", CurrencyValueInCents: "1250"}}
	if got := s.Balances(id); len(got) != 1 || got[0] != want[0] {
		t.Errorf("Balances = %+v, want %+v", got, want)
	}

	if r := call(t, s, "POST", path+"finalize", token, []byte(`{"finalize": true}`)); r.status != 400 || s.Finalized(id) {
		t.Errorf("finalize with a body: %d, finalized %v", r.status, s.Finalized(id))
	}
	if r := call(t, s, "POST", path+"finalize", token, nil); r.status != 204 || !s.Finalized(id) {
		t.Fatalf("finalize: %d %s", r.status, r.body)
	}
	for _, p := range []string{"/v1/installations/" + id + "/account", path + "invoices/inv_x"} {
		if r := call(t, s, "GET", p, token, nil); r.status != 401 {
			t.Errorf("GET %s after finalize: %d, want 401", p, r.status)
		}
	}
	if s.Finalized("icfg_unknown") {
		t.Error("unknown installation reported finalized")
	}
}
