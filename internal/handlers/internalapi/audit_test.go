package internalapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/vercel-partner/partner-server/internal/handlers"
	"github.com/vercel-partner/partner-server/internal/handlers/internalapi"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// memAudit is an audit log in memory.
type memAudit struct {
	mu      sync.Mutex
	entries []installations.AuditEntry
}

func (m *memAudit) AppendAudit(_ context.Context, e installations.AuditEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	e.ID = int64(len(m.entries) + 1)
	m.entries = append(m.entries, e)
	return nil
}

func (m *memAudit) AuditAfter(_ context.Context, after int64, limit int) ([]installations.AuditEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []installations.AuditEntry
	for _, e := range m.entries {
		if e.ID > after && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func (m *memAudit) AuditBefore(context.Context, int64, int) ([]installations.AuditEntry, error) {
	return nil, nil
}

// TestAuditNamesTheTokenNeverItsValue: each configured token is told
// apart by its name; the entry has the route, the installation and the
// request id, and no token or body.
func TestAuditNamesTheTokenNeverItsValue(t *testing.T) {
	t.Parallel()
	audit := &memAudit{}
	f := &fakes{}
	srv := httptest.NewServer(internalapi.New(internalapi.Deps{
		Tokens: []internalapi.Token{{Name: "crm", Secret: "crm-secret-aaaaaaaa"}, {Name: "billing-job", Secret: "billing-secret-bbbbbbbb"}},
		Audit:  audit, Idempotency: &handlers.Idempotency{Store: memKeys{}}, Resources: f, Lifecycle: f}))
	defer srv.Close()
	send := func(token, method, path, body string) *http.Response {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	res := send("billing-secret-bbbbbbbb", "POST", "/installations/icfg_a/invoices/inv_1/refund", `{"total":"5.00","reason":"late"}`)
	send("crm-secret-aaaaaaaa", "PATCH", "/installations/icfg_b/resources/res_1", `{"name":"renamed"}`)
	send("crm-secret-aaaaaaaa", "PATCH", "/installations/icfg_b/resources/res_1", `{"name":""}`)   // refused: 400
	send("crm-secret-aaaaaaaa", "GET", "/installations/icfg_b/resources/res_1", ``)                // a read
	send("wrong-token-cccccccc", "PATCH", "/installations/icfg_b/resources/res_1", `{"name":"x"}`) // 401

	if len(audit.entries) != 2 {
		t.Fatalf("audit entries %+v, want the two successful writes", audit.entries)
	}
	refund, rename := audit.entries[0], audit.entries[1]
	if refund.Actor != "billing-job" || refund.ActorKind != "token" || refund.InstallationID != "icfg_a" ||
		refund.Action != "POST /installations/{installationId}/invoices/{invoiceId}/refund" ||
		refund.Target != "/installations/icfg_a/invoices/inv_1/refund" || refund.DeliveryID != "dlv_fake" ||
		refund.RequestID == "" && res.Header.Get("X-Request-Id") != "" {
		t.Errorf("refund entry %+v", refund)
	}
	if rename.Actor != "crm" || rename.InstallationID != "icfg_b" {
		t.Errorf("rename entry %+v", rename)
	}
	all, _ := json.Marshal(audit.entries)
	for _, secret := range []string{"secret-aaaa", "secret-bbbb", "renamed", "late"} {
		if strings.Contains(string(all), secret) {
			t.Errorf("the audit log holds %q: %s", secret, all)
		}
	}
}

func TestAuditFollowsWritesAndSkipsReplays(t *testing.T) {
	t.Parallel()
	e := newInternalEnv(t, fastRetries)
	event := `{"event":{"type":"resource.updated","resourceId":"` + testResource + `","productId":"postgres"}}`
	for range 2 { // the second is an idempotent replay
		if s, b := e.call(t, "POST", base+"/events", event, "Idempotency-Key", "evt-1"); s != 200 {
			t.Fatalf("event: %d %v", s, b)
		}
	}
	req, _ := http.NewRequest("PATCH", e.srv.URL+"/internal/v1"+base+"/resources/"+testResource, strings.NewReader(`{"name":"audited"}`))
	req.Header.Set("Authorization", "Bearer "+internalToken)
	req.Header.Set("X-Request-Id", "req-audit-1")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("rename: %v %v", res, err)
	}
	res.Body.Close()
	if s, _ := e.call(t, "POST", base+"/invoices/inv_x/refund", `{"total":"-1","reason":"r"}`); s != 400 {
		t.Fatalf("a bad refund: %d", s)
	}

	s, body := e.call(t, "GET", "/audit", "")
	entries, _ := body["entries"].([]any)
	if s != 200 || len(entries) != 2 {
		t.Fatalf("GET /audit: %d %v, want the event and the rename", s, body)
	}
	first, second := entries[0].(map[string]any), entries[1].(map[string]any)
	want := map[string]any{"actor": "token-2", "actorKind": "token", "installationId": testInstallation,
		"action": "PATCH /internal/v1/installations/{installationId}/resources/{resourceId}",
		"target": "/internal/v1" + base + "/resources/" + testResource, "requestId": "req-audit-1"}
	for k, v := range want {
		if second[k] != v {
			t.Errorf("rename entry %s = %v, want %v", k, second[k], v)
		}
	}
	if second["deliveryId"] == "" || first["action"] != "POST /internal/v1/installations/{installationId}/events" {
		t.Errorf("entries %v", entries)
	}
	s, body = e.call(t, "GET", fmt.Sprintf("/audit?after=%s&limit=5", first["cursor"]), "")
	if page, _ := body["entries"].([]any); s != 200 || len(page) != 1 || body["nextCursor"] != second["cursor"] {
		t.Errorf("after the first: %d %v", s, body)
	}
	for _, q := range []string{"after=-1", "after=x", "limit=0", "limit=1001"} {
		if s, _ := e.call(t, "GET", "/audit?"+q, ""); s != 400 {
			t.Errorf("GET /audit?%s: %d, want 400", q, s)
		}
	}
}

func TestRefundAboveTheInvoiceTotalIsRefused(t *testing.T) {
	t.Parallel()
	e := newInternalEnv(t, fastRetries)
	ts, _, start, end := billingDates()
	invoice := fmt.Sprintf(`{"externalId":"inv_cap","invoiceDate":%q,"period":{"start":%q,"end":%q},
		"items":[{"billingPlanId":"pro200","resourceId":"db_7Hq2Lx","name":"Pro plan","price":"20.00","quantity":1,"units":"month","total":"20.00"}],
		"test":{"validate":true,"result":"paid"}}`, ts, start, end)
	s, body := e.call(t, "POST", base+"/invoices", invoice)
	result, _ := body["result"].(map[string]any)
	id, _ := result["invoiceId"].(string)
	if s != 201 || id == "" {
		t.Fatalf("invoice: %d %v", s, body)
	}
	s, body = e.call(t, "POST", base+"/invoices/"+id+"/refund", `{"total":"20.01","reason":"too much"}`)
	if s != 400 || !strings.Contains(fmt.Sprint(body), "must not exceed the invoice total") {
		t.Errorf("a refund above the total: %d %v", s, body)
	}
	if s, body = e.call(t, "POST", base+"/invoices/"+id+"/refund", `{"total":"20.00","reason":"all of it"}`); s != 200 {
		t.Errorf("a refund of the total: %d %v", s, body)
	}
}
