package vercelsim

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestInvoiceLifecycle(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	id, token, invID := newInstallation(t, s)
	base := "/v1/installations/" + id + "/billing/invoices/"

	get := func(t *testing.T) Invoice {
		t.Helper()
		r := call(t, s, "GET", base+invID, token, nil)
		var inv Invoice
		if err := json.Unmarshal(r.body, &inv); r.status != 200 || err != nil {
			t.Fatalf("getInvoice: %d %s", r.status, r.body)
		}
		return inv
	}
	inv := get(t)
	if inv.State != "pending" || inv.Total != "12.50" || inv.ExternalID != "inv_2026_10_0042" || inv.Created == "" || inv.InvoiceNumber == "" {
		t.Fatalf("invoice = %+v", inv)
	}
	refund := func(total string) result {
		return call(t, s, "POST", base+invID+"/actions", token, map[string]any{"action": "refund", "reason": "outage", "total": total})
	}
	if r := refund("12.51"); r.status != http.StatusBadRequest {
		t.Errorf("refund above total: %d, want 400", r.status)
	}
	if r := refund("12.50"); r.status != http.StatusNoContent || len(r.body) != 0 {
		t.Fatalf("refund: %d %s", r.status, r.body)
	}
	if inv := get(t); inv.State != "refund_requested" || inv.RefundTotal != "12.50" || inv.RefundReason != "outage" {
		t.Errorf("after refund: %+v", inv)
	}
	if r := refund("1.00"); r.status != http.StatusConflict {
		t.Errorf("second refund: %d, want 409", r.status)
	}
	if err := s.CompleteRefund(id, invID); err != nil {
		t.Fatal(err)
	}
	if inv := get(t); inv.State != "refunded" || inv.RefundedAt == "" {
		t.Errorf("after CompleteRefund: %+v", inv)
	}
	if r := call(t, s, "GET", base+"inv_nope", token, nil); r.status != http.StatusNotFound {
		t.Errorf("unknown invoice: %d", r.status)
	}
}

func TestSubmitInvoiceRules(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	tests := []struct {
		name     string
		change   func(t *testing.T, m map[string]any)
		want     int
		state    string
		validate []string
	}{
		{name: "duplicate externalId", change: func(*testing.T, map[string]any) {}, want: 409},
		{name: "test mode takes the result", want: 200, state: "paid", change: func(t *testing.T, m map[string]any) {
			m["externalId"] = "x2"
			m["test"] = map[string]any{"validate": true, "result": "paid"}
		}},
		{name: "validate reports item arithmetic", want: 200, state: "pending", validate: []string{"items[0].total"}, change: func(t *testing.T, m map[string]any) {
			m["externalId"] = "x3"
			m["test"] = map[string]any{"validate": true}
			setPath(t, m, "items.0.total", "19.00", false)
		}},
		{name: "final outside pending deletion", want: 400, change: func(t *testing.T, m map[string]any) {
			m["externalId"] = "x4"
			m["final"] = true
		}},
		{name: "empty period", want: 400, change: func(t *testing.T, m map[string]any) {
			m["externalId"] = "x5"
			setPath(t, m, "period.end", "2026-10-01T00:00:00.000Z", false)
		}},
		{name: "discounts above items", want: 400, change: func(t *testing.T, m map[string]any) {
			m["externalId"] = "x6"
			setPath(t, m, "discounts.0.amount", "25.00", false)
		}},
	}
	id, token, _ := newInstallation(t, s)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := parse(t, validInvoice)
			tt.change(t, body)
			r := call(t, s, "POST", "/v1/installations/"+id+"/billing/invoices", token, body)
			if r.status != tt.want {
				t.Fatalf("status %d, want %d: %s", r.status, tt.want, r.body)
			}
			if r.status != 200 {
				return
			}
			var out struct {
				InvoiceID        string
				Test             bool
				ValidationErrors []string
			}
			_ = json.Unmarshal(r.body, &out)
			inv, _ := s.Invoice(id, out.InvoiceID)
			if inv.State != tt.state || !out.Test || len(out.ValidationErrors) != len(tt.validate) {
				t.Errorf("answer %s, invoice %+v", r.body, inv)
			}
			for i, v := range tt.validate {
				if !strings.Contains(out.ValidationErrors[i], v) {
					t.Errorf("validation error %q lacks %q", out.ValidationErrors[i], v)
				}
			}
		})
	}
}

func TestSecretsAndResources(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	id, token, _ := newInstallation(t, s)
	put := func(body string) {
		t.Helper()
		if r := call(t, s, "PUT", "/v1/installations/"+id+"/resources/db_1/secrets", token, parse(t, body)); r.status != 201 {
			t.Fatalf("secrets: %d %s", r.status, r.body)
		}
	}
	names := func() string {
		var n []string
		for _, sec := range s.Secrets(id, "db_1") {
			n = append(n, sec.Name+"="+sec.Value)
		}
		return strings.Join(n, ",")
	}
	put(`{"secrets": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}`)
	put(`{"secrets": [{"name": "B", "value": "3"}, {"name": "C", "value": "4"}], "partial": true}`)
	if got := names(); got != "A=1,B=3,C=4" {
		t.Errorf("after partial: %s", got)
	}
	put(`{"secrets": [{"name": "D", "value": "5"}]}`)
	if got := names(); got != "D=5" {
		t.Errorf("after full replace: %s", got)
	}
	if r := call(t, s, "PUT", "/v1/installations/"+id+"/resources/db_nope/secrets", token, parse(t, `{"secrets": []}`)); r.status != 404 {
		t.Errorf("unknown resource: %d", r.status)
	}

	one := call(t, s, "GET", "/v1/installations/"+id+"/resources/db_1", token, nil)
	list := call(t, s, "GET", "/v1/installations/"+id+"/resources", token, nil)
	if !strings.Contains(string(one.body), `"id":"db_1"`) || !strings.Contains(string(list.body), `"partnerId":"db_1"`) {
		t.Errorf("single %s, list %s", one.body, list.body)
	}
	if r := call(t, s, "DELETE", "/v1/installations/"+id+"/resources/db_1", token, nil); r.status != 204 || len(r.body) != 0 {
		t.Errorf("delete: %d %s", r.status, r.body)
	}
	if r := call(t, s, "GET", "/v1/installations/"+id+"/resources/db_1", token, nil); r.status != 404 {
		t.Errorf("after delete: %d", r.status)
	}
}

func TestFinalizeKillsToken(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	id, token, _ := newInstallation(t, s)
	if r := call(t, s, "POST", "/v1/installations/"+id+"/billing/finalize", token, nil); r.status != 204 || len(r.body) != 0 {
		t.Fatalf("finalize: %d %s", r.status, r.body)
	}
	if r := call(t, s, "GET", "/v1/installations/"+id+"/account", token, nil); r.status != 401 {
		t.Errorf("after finalize: %d, want 401", r.status)
	}
}
