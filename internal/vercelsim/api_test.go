package vercelsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var instSeq atomic.Int64

// newInstallation registers a fresh installation with one resource db_1
// and one pending invoice, and returns its id, token and invoice id.
func newInstallation(t *testing.T, s *Sim) (id, token, invoiceID string) {
	t.Helper()
	id = fmt.Sprintf("icfg_test%020d", instSeq.Add(1))
	token = "tok-" + id
	s.RegisterInstallation(id, token)
	s.SetResource(id, "db_1", Resource{ProductID: "postgres", Name: "main"})
	r := call(t, s, http.MethodPost, "/v1/installations/"+id+"/billing/invoices", token, parse(t, validInvoice))
	if r.status != http.StatusOK {
		t.Fatalf("submit invoice: %d %s", r.status, r.body)
	}
	var out struct{ InvoiceID string }
	if err := json.Unmarshal(r.body, &out); err != nil || out.InvoiceID == "" {
		t.Fatalf("submit invoice answer %s", r.body)
	}
	return id, token, out.InvoiceID
}

const validInvoice = `{"externalId": "inv_2026_10_0042", "invoiceDate": "2026-10-31T12:00:00.000Z", "memo": "October 2026",
 "period": {"start": "2026-10-01T00:00:00.000Z", "end": "2026-11-01T00:00:00.000Z"},
 "items": [{"billingPlanId": "pro200", "resourceId": "db_1", "name": "Pro plan", "price": "20.00", "quantity": 1, "units": "month", "total": "20.00"}],
 "discounts": [{"billingPlanId": "pro200", "resourceId": "db_1", "name": "Launch credit", "amount": "7.50"}]}`

func billingBody(now time.Time, objectForm bool) string {
	start := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	eod := time.Date(now.Year(), now.Month(), now.Day(), 23, 59, 59, 0, time.UTC)
	items := `[{"billingPlanId": "pro200", "resourceId": "db_1", "name": "Storage", "price": "0.10", "quantity": 42.5, "units": "GB", "total": "4.25"}]`
	billing := items
	if objectForm {
		billing = `{"items": ` + items + `, "discounts": [{"billingPlanId": "pro200", "name": "Launch credit", "amount": "1.00"}]}`
	}
	return fmt.Sprintf(`{"timestamp": %q, "eod": %q, "period": {"start": %q, "end": %q}, "billing": %s,
	 "usage": [{"resourceId": "db_1", "name": "Storage", "type": "total", "units": "GB", "dayValue": 42.5, "periodValue": 42.5, "planValue": 500}]}`,
		ts(now), ts(eod), ts(start), ts(start.AddDate(0, 1, 0)), billing)
}

type writeCase struct {
	name    string
	method  string
	path    string // {id} and {invoiceId} are filled in
	valid   string
	want    int
	unknown []string          // where to add an unknown key "zzz"
	money   []string          // money fields
	missing []string          // required fields
	invalid map[string]string // field -> bad value (enums, dates)
}

func writeCases() []writeCase {
	now := time.Now().UTC()
	secrets := `{"secrets": [{"name": "DATABASE_URL", "value": "postgres://x", "environmentOverrides": {"preview": "postgres://p"}}, {"name": "TOKEN", "value": "t"}], "partial": true}`
	return []writeCase{
		{name: "createEvent resource.updated", method: "POST", path: "/v1/installations/{id}/events",
			valid: `{"event": {"type": "resource.updated", "resourceId": "db_1", "productId": "postgres"}}`, want: 201,
			unknown: []string{"zzz", "event.zzz"}, missing: []string{"event", "event.resourceId", "event.type"},
			invalid: map[string]string{"event.type": "resource.deleted"}},
		{name: "createEvent installation.updated", method: "POST", path: "/v1/installations/{id}/events",
			valid: `{"event": {"type": "installation.updated", "billingPlanId": "pro200"}}`, want: 201,
			unknown: []string{"event.resourceId"}, missing: []string{"event.type"}},
		{name: "submitBillingData array form", method: "POST", path: "/v1/installations/{id}/billing",
			valid: billingBody(now, false), want: 201,
			unknown: []string{"zzz", "billing.0.zzz", "usage.0.zzz", "period.zzz"},
			money:   []string{"billing.0.price", "billing.0.total"},
			missing: []string{"timestamp", "eod", "period", "billing", "usage", "period.end", "billing.0.billingPlanId", "usage.0.type"},
			invalid: map[string]string{"usage.0.type": "sum", "timestamp": "2026-10-15 13:05:00",
				"period.start": "2026-13-01T00:00:00Z", "eod": ts(now.AddDate(0, 0, -3))}},
		{name: "submitBillingData object form", method: "POST", path: "/v1/installations/{id}/billing",
			valid: billingBody(now, true), want: 201,
			unknown: []string{"billing.zzz", "billing.items.0.zzz", "billing.discounts.0.zzz"},
			money:   []string{"billing.items.0.price", "billing.discounts.0.amount"},
			missing: []string{"billing.items", "billing.discounts.0.amount"}},
		{name: "submitInvoice", method: "POST", path: "/v1/installations/{id}/billing/invoices",
			valid: strings.Replace(validInvoice, "inv_2026_10_0042", "inv_other", 1), want: 200,
			unknown: []string{"zzz", "items.0.zzz", "discounts.0.zzz", "period.zzz"},
			money:   []string{"items.0.price", "items.0.total", "discounts.0.amount"},
			missing: []string{"invoiceDate", "period", "items", "items.0.units", "discounts.0.name"},
			invalid: map[string]string{"invoiceDate": "2026-12-01T00:00:00.000Z", "period.end": "31/10/2026"}},
		{name: "updateInvoice refund", method: "POST", path: "/v1/installations/{id}/billing/invoices/{invoiceId}/actions",
			valid: `{"action": "refund", "reason": "Outage credit", "total": "12.50"}`, want: 204,
			unknown: []string{"zzz"}, money: []string{"total"}, missing: []string{"action", "reason", "total"},
			invalid: map[string]string{"action": "cancel", "total": "12.51"}},
		{name: "updateResourceSecretsById", method: "PUT", path: "/v1/installations/{id}/resources/db_1/secrets",
			valid: secrets, want: 201,
			unknown: []string{"zzz", "secrets.0.zzz", "secrets.0.environmentOverrides.staging"},
			missing: []string{"secrets", "secrets.0.name", "secrets.1.value"}},
		{name: "updateResourceSecrets deprecated path", method: "PUT", path: "/v1/installations/{id}/products/postgres/resources/db_1/secrets",
			valid: secrets, want: 201, unknown: []string{"zzz"}, missing: []string{"secrets"}},
		{name: "updateInstallation", method: "PATCH", path: "/v1/installations/{id}",
			valid: `{"status": "ready", "externalId": "acct_1", "billingPlan": {"id": "pro200", "type": "subscription", "name": "Pro", "extra": 1},
			 "notification": {"level": "warn", "title": "Usage high", "href": "sso:https://partner.example/usage"}}`, want: 204,
			unknown: []string{"zzz", "notification.zzz"}, missing: []string{"billingPlan.name", "notification.title"},
			invalid: map[string]string{"status": "deleted", "notification.level": "warning", "notification.href": "/relative"}},
		{name: "updateInstallation clears notification", method: "PATCH", path: "/v1/installations/{id}",
			valid: `{"notification": null}`, want: 204, unknown: []string{"zzz"}},
		{name: "submitPrepaymentBalances", method: "POST", path: "/v1/installations/{id}/billing/balance",
			valid: fmt.Sprintf(`{"timestamp": %q, "balances": [{"resourceId": "db_1", "credit": "2,000 Tokens", "nameLabel": "Tokens", "currencyValueInCents": 1250}]}`, ts(now)), want: 201,
			unknown: []string{"zzz", "balances.0.zzz"}, missing: []string{"timestamp", "balances", "balances.0.currencyValueInCents"},
			invalid: map[string]string{"timestamp": "now"}},
		{name: "importResource", method: "PUT", path: "/v1/installations/{id}/resources/db_2",
			valid: `{"ownership": "owned", "productId": "postgres", "name": "imported", "status": "ready", "metadata": {"region": "iad1", "replicas": 2, "ha": true, "zones": ["a", "b"]},
			 "billingPlan": {"id": "pro200", "type": "subscription", "name": "Pro"}, "secrets": [{"name": "URL", "value": "x"}]}`, want: 200,
			unknown: []string{"zzz", "secrets.0.zzz"}, missing: []string{"productId", "name", "status"},
			invalid: map[string]string{"ownership": "stolen", "status": "gone", "metadata.region": "{}"}},
		{name: "updateResource", method: "PATCH", path: "/v1/installations/{id}/resources/db_1",
			valid: `{"name": "renamed", "status": "suspended", "notification": {"level": "error", "title": "Suspended"}, "secrets": {"secrets": [{"name": "A", "value": "b"}], "partial": true}}`, want: 200,
			unknown: []string{"zzz", "secrets.zzz", "notification.zzz"}, missing: []string{"notification.level", "secrets.secrets"},
			invalid: map[string]string{"status": "paused"}},
	}
}

func TestWriteEndpointsValidateBodies(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	for _, tc := range writeCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			send := func(t *testing.T, body map[string]any) result {
				id, token, invoiceID := newInstallation(t, s)
				path := strings.NewReplacer("{id}", id, "{invoiceId}", invoiceID).Replace(tc.path)
				return call(t, s, tc.method, path, token, body)
			}
			t.Run("valid", func(t *testing.T) {
				if r := send(t, parse(t, tc.valid)); r.status != tc.want {
					t.Fatalf("status %d, want %d: %s", r.status, tc.want, r.body)
				} else if (r.status == 201 || r.status == 204) && len(r.body) != 0 {
					t.Errorf("%d with a body: %s", r.status, r.body)
				}
			})
			expect400 := func(t *testing.T, body map[string]any, mentions string) {
				t.Helper()
				r := send(t, body)
				if r.status != http.StatusBadRequest {
					t.Fatalf("status %d, want 400: %s", r.status, r.body)
				}
				if msg := errorMessage(t, r.body); !strings.HasPrefix(msg, "bad_request: ") || !strings.Contains(msg, mentions) {
					t.Errorf("error %q does not name %q", msg, mentions)
				}
			}
			for _, p := range tc.unknown {
				t.Run("unknown key "+p, func(t *testing.T) {
					b := parse(t, tc.valid)
					setPath(t, b, p, "x", false)
					expect400(t, b, "unknown key")
				})
			}
			for _, p := range tc.money {
				for _, bad := range []any{"12,50", "-1", "1e3", "$5.00", 12.5} {
					t.Run(fmt.Sprintf("money %s=%v", p, bad), func(t *testing.T) {
						b := parse(t, tc.valid)
						setPath(t, b, p, bad, false)
						expect400(t, b, p[strings.LastIndex(p, ".")+1:])
					})
				}
			}
			for _, p := range tc.missing {
				t.Run("missing "+p, func(t *testing.T) {
					b := parse(t, tc.valid)
					setPath(t, b, p, nil, true)
					expect400(t, b, p[strings.LastIndex(p, ".")+1:])
				})
			}
			for p, bad := range tc.invalid {
				t.Run(fmt.Sprintf("invalid %s=%s", p, bad), func(t *testing.T) {
					b := parse(t, tc.valid)
					var v any = bad
					if bad == "{}" {
						v = map[string]any{}
					}
					setPath(t, b, p, v, false)
					expect400(t, b, "")
				})
			}
		})
	}
}

func TestAuthAndNotFound(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	id, token, _ := newInstallation(t, s)
	tests := []struct {
		name   string
		path   string
		token  string
		header string // raw Authorization header, when set
		want   int
	}{
		{"right token", "/v1/installations/" + id + "/events", token, "", 201},
		{"wrong token", "/v1/installations/" + id + "/events", "nope", "", 401},
		{"missing token", "/v1/installations/" + id + "/events", "", "", 401},
		{"not a bearer", "/v1/installations/" + id + "/events", "", "Basic " + token, 401},
		{"another installation's token", "/v1/installations/icfg_other/events", token, "", 404},
		{"unknown route", "/v1/installations/" + id + "/nope", token, "", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequestWithContext(t.Context(), "POST", s.URL()+tt.path, strings.NewReader(`{"event": {"type": "installation.updated"}}`))
			req.Header.Set("Content-Type", "application/json")
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}

func TestWrongContentTypeIs400(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	id, token, _ := newInstallation(t, s)
	req, _ := http.NewRequestWithContext(t.Context(), "POST", s.URL()+"/v1/installations/"+id+"/events",
		strings.NewReader(`{"event": {"type": "installation.updated"}}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d, want 400", resp.StatusCode)
	}
}
