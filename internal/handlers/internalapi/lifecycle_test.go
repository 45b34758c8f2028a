package internalapi_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/vercel-partner/partner-server/internal/installations"
)

func TestResourceReadsAreOurCopy(t *testing.T) {
	t.Parallel()
	e := newInternalEnv(t, fastRetries)
	resp, err := e.sim.Provision(t.Context(), e.srv.URL, testInstallation,
		map[string]any{"productId": "postgres", "name": "second", "billingPlanId": "pro200", "metadata": map[string]any{}})
	if err != nil || resp.Status != 200 {
		t.Fatalf("provision: %v %d %s", err, resp.Status, resp.Body)
	}
	rid := resp.JSON["id"].(string)
	status, body := e.call(t, "GET", "/installations/"+testInstallation+"/resources", "")
	list, _ := body["resources"].([]any)
	if status != 200 || len(list) != 2 {
		t.Fatalf("list: %d %v", status, body)
	}
	status, body = e.call(t, "GET", "/installations/"+testInstallation+"/resources/"+rid, "")
	res, _ := body["resource"].(map[string]any)
	if status != 200 || res["id"] != rid || res["status"] != "pending" || res["billingPlanId"] != "pro200" || res["secrets"] != nil {
		t.Fatalf("get: %d %v", status, body)
	}
	for _, c := range []struct {
		path   string
		status int
		hdr    []string
	}{
		{"/installations/" + testInstallation + "/resources/res_nope", 404, nil},
		{"/installations/icfg_unknown/resources", 404, nil},
		{"/installations/" + testInstallation + "/resources", 401, []string{"Authorization", "Bearer wrong-token-0123456789"}},
	} {
		if s, b := e.call(t, "GET", c.path, "", c.hdr...); s != c.status || b["error"] == nil {
			t.Errorf("GET %s: %d %v, want %d", c.path, s, b, c.status)
		}
	}
}

func TestSubmitBalances(t *testing.T) {
	t.Parallel()
	e := newInternalEnv(t, fastRetries)
	path := "/installations/" + testInstallation + "/balances"
	status, body := e.call(t, "POST", path, `{"timestamp":"2026-12-01T10:00:00.000Z","balances":[
		{"resourceId":"`+testResource+`","credit":"2,000 Tokens","nameLabel":"Tokens","currencyValueInCents":1234}]}`)
	if status != 200 || deliveryOf(body)["status"] != "delivered" {
		t.Fatalf("balances: %d %v", status, body)
	}
	if got := e.sim.PrepaymentBalances(testInstallation); len(got) != 1 || !strings.Contains(string(got[0]), `"currencyValueInCents":1234`) {
		t.Errorf("Vercel received %s", got)
	}
	for _, bad := range []struct{ body, field string }{
		{`{"balances":[]}`, "timestamp"},
		{`{"timestamp":"2026-12-01T10:00:00Z","balances":[{"credit":"x"}]}`, "balances[0].currencyValueInCents"},
		{`{"timestamp":"2026-12-01T10:00:00Z","balances":[],"extra":1}`, "extra"},
		{`{"timestamp":"2026-12-01T10:00:00Z","balances":[{"currencyValueInCents":12.5}]}`, "balances[0].currencyValueInCents"},
	} {
		status, body := e.call(t, "POST", path, bad.body)
		if status != 400 || !strings.Contains(toJSON(body), `"key":"`+bad.field+`"`) {
			t.Errorf("%s: %d %v, want 400 naming %s", bad.body, status, body, bad.field)
		}
	}
	if n := len(e.sim.PrepaymentBalances(testInstallation)); n != 1 {
		t.Errorf("refused bodies reached Vercel: %d", n)
	}
}

func TestFinalizeAfterUninstall(t *testing.T) {
	t.Parallel()
	e := newInternalEnv(t, fastRetries)
	ctx := context.Background()
	path := "/installations/" + testInstallation + "/finalize"
	if status, body := e.call(t, "POST", path, ""); status != 409 || !strings.Contains(toJSON(body), "installation_not_deleted") {
		t.Fatalf("finalize while installed: %d %v", status, body)
	}
	if err := e.sim.UpdateInstallationPlan(ctx, e.srv.URL, testInstallation, "pro200"); err != nil {
		t.Fatal(err)
	}
	if finalized, err := e.sim.Uninstall(ctx, e.srv.URL, testInstallation); err != nil || finalized {
		t.Fatalf("uninstall on a paid plan: finalized=%v %v", finalized, err)
	}
	if _, body := e.call(t, "GET", "/installations/"+testInstallation, ""); body["status"] != installations.StatusPendingFinalization {
		t.Fatalf("after uninstall: %v", body)
	}
	// Still billable: writes go through (the final invoice would).
	if status, body := e.call(t, "POST", "/installations/"+testInstallation+"/balances",
		`{"timestamp":"2026-12-01T10:00:00Z","balances":[{"currencyValueInCents":0}]}`); status != 200 {
		t.Fatalf("balances while pending finalization: %d %v", status, body)
	}
	if status, body := e.call(t, "POST", path, ""); status != 200 || deliveryOf(body)["status"] != "delivered" {
		t.Fatalf("finalize: %d %v", status, body)
	}
	if !e.sim.Finalized(testInstallation) {
		t.Error("Vercel was not told")
	}
	if _, body := e.call(t, "GET", "/installations/"+testInstallation, ""); body["status"] != installations.StatusDeleted {
		t.Errorf("after finalization: %v", body)
	}
	var ct string
	if err := e.db.GetContext(ctx, &ct, e.db.Rebind(`SELECT token_ciphertext FROM installations WHERE id = ?`), testInstallation); err != nil || ct != "" {
		t.Errorf("token not wiped: %q %v", ct, err)
	}
	before := len(e.sim.Requests())
	for _, w := range []struct{ method, path, body string }{
		{"POST", path, ""},
		{"POST", "/installations/" + testInstallation + "/balances", `{"timestamp":"2026-12-01T10:00:00Z","balances":[]}`},
		{"POST", "/installations/" + testInstallation + "/events", `{"event":{"type":"installation.updated"}}`},
		{"PUT", "/installations/" + testInstallation + "/resources/" + testResource + "/secrets", `{"secrets":[{"name":"A","value":"b"}]}`},
	} {
		status, body := e.call(t, w.method, w.path, w.body)
		if status != 409 || !strings.Contains(toJSON(body), "installation_finalized") {
			t.Errorf("%s %s after finalization: %d %v", w.method, w.path, status, body)
		}
	}
	if after := len(e.sim.Requests()); after != before {
		t.Errorf("%d calls reached Vercel after finalization", after-before)
	}
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
