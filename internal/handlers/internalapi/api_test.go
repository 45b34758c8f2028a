package internalapi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

const base = "/installations/" + testInstallation

func secretsBody(value string) string {
	return `{"secrets":[{"name":"DATABASE_URL","value":"` + value + `"}],"partial":false}`
}

func TestForwardedWritesReachVercelExactly(t *testing.T) {
	t.Parallel()
	e := newInternalEnv(t, fastRetries)
	ts, eod, start, end := billingDates()
	billing := fmt.Sprintf(`{"timestamp":%q,"eod":%q,"period":{"start":%q,"end":%q},
		"billing":{"items":[{"billingPlanId":"pro200","resourceId":"db_7Hq2Lx","name":"Storage","price":"0.10","quantity":42.5,"units":"GB","total":"4.25"}],
		"discounts":[{"billingPlanId":"pro200","name":"Launch credit","amount":"1.00"}]},
		"usage":[{"resourceId":"db_7Hq2Lx","name":"Storage","type":"total","units":"GB","dayValue":42.5,"periodValue":42.5,"planValue":500}]}`, ts, eod, start, end)
	invoice := fmt.Sprintf(`{"externalId":"inv_0042","invoiceDate":%q,"memo":"October","period":{"start":%q,"end":%q},
		"items":[{"billingPlanId":"pro200","resourceId":"db_7Hq2Lx","name":"Pro plan","price":"20.00","quantity":1,"units":"month","total":"20.00"}],
		"test":{"validate":true,"result":"paid"}}`, ts, start, end)
	cases := []struct {
		name, method, path, body string
		status                   int
		route, want              string
	}{
		{"event", "POST", base + "/events", `{"event":{"type":"resource.updated","resourceId":"db_7Hq2Lx","productId":"postgres"}}`,
			200, vercelsim.RouteCreateEvent, `{"event":{"type":"resource.updated","resourceId":"db_7Hq2Lx","productId":"postgres"}}`},
		{"installation event", "POST", base + "/events", `{"event":{"type":"installation.updated","billingPlanId":"pro200"}}`,
			200, vercelsim.RouteCreateEvent, `{"event":{"type":"installation.updated","billingPlanId":"pro200"}}`},
		{"secrets", "PUT", base + "/resources/" + testResource + "/secrets",
			`{"secrets":[{"name":"DATABASE_URL","value":"postgres://u:p@h/db","environmentOverrides":{"preview":"postgres://preview"}}],"partial":true}`,
			200, vercelsim.RouteUpdateSecretsByID,
			`{"secrets":[{"name":"DATABASE_URL","value":"postgres://u:p@h/db","environmentOverrides":{"preview":"postgres://preview"}}],"partial":true}`},
		{"billing", "POST", base + "/billing", billing, 200, vercelsim.RouteSubmitBillingData, billing},
		{"invoice", "POST", base + "/invoices", invoice, 201, vercelsim.RouteSubmitInvoice, invoice},
		{"rename", "PATCH", base + "/resources/" + testResource, `{"name":"renamed"}`,
			200, vercelsim.RouteCreateEvent, `{"event":{"type":"resource.updated","resourceId":"db_7Hq2Lx","productId":"postgres"}}`},
	}
	for _, c := range cases {
		before := len(e.sim.RequestsTo(c.route))
		status, body := e.call(t, c.method, c.path, c.body)
		if status != c.status || deliveryOf(body)["status"] != "delivered" {
			t.Fatalf("%s: %d %v", c.name, status, body)
		}
		reqs := e.sim.RequestsTo(c.route)
		if len(reqs) != before+1 {
			t.Fatalf("%s: Vercel saw %d requests, want 1", c.name, len(reqs)-before)
		}
		got := reqs[len(reqs)-1]
		if got.Header.Get("Authorization") != "Bearer "+e.token {
			t.Errorf("%s: wrong Authorization header", c.name)
		}
		jsonEqual(t, got.Body, c.want)
		if c.name == "invoice" {
			res, _ := body["result"].(map[string]any)
			id, _ := res["invoiceId"].(string)
			if id == "" {
				t.Fatalf("invoice: no invoiceId in %v", body)
			}
			// The refund names Vercel's invoice id; the read returns Vercel's view.
			status, body = e.call(t, "POST", base+"/invoices/"+id+"/refund", `{"reason":"goodwill","total":"5.00"}`)
			if status != 200 {
				t.Fatalf("refund: %d %v", status, body)
			}
			upd := e.sim.RequestsTo(vercelsim.RouteUpdateInvoice)
			jsonEqual(t, upd[len(upd)-1].Body, `{"action":"refund","reason":"goodwill","total":"5.00"}`)
			status, body = e.call(t, "GET", base+"/invoices/"+id, "")
			if status != 200 || body["state"] != "refund_requested" || body["externalId"] != "inv_0042" {
				t.Errorf("get invoice: %d %v", status, body)
			}
			inv, err := e.db.QueryContext(t.Context(), `SELECT COUNT(*) FROM invoices WHERE id = ? AND total = '20.00'`, id)
			if err != nil {
				t.Fatal(err)
			}
			var n int
			inv.Next()
			inv.Scan(&n)
			inv.Close()
			if n != 1 {
				t.Errorf("submitted invoice not recorded locally")
			}
		}
		if c.name == "rename" {
			if res, _ := body["resource"].(map[string]any); res["name"] != "renamed" {
				t.Errorf("rename answer %v", body)
			}
		}
	}
}

func TestBodiesVercelWouldRefuseAreNeverQueued(t *testing.T) {
	t.Parallel()
	e := newInternalEnv(t, fastRetries)
	cases := []struct {
		name, method, path, body, key string
	}{
		{"unknown key", "PUT", base + "/resources/" + testResource + "/secrets", `{"secrets":[],"bogus":1}`, "bogus"},
		{"unknown nested key", "POST", base + "/events", `{"event":{"type":"resource.updated","resourceId":"r","extra":"x"}}`, "event.extra"},
		{"comma money", "POST", base + "/invoices/inv_1/refund", `{"reason":"r","total":"12,50"}`, "total"},
		{"missing field", "POST", base + "/invoices/inv_1/refund", `{"total":"12.50"}`, "reason"},
		{"missing secrets", "PUT", base + "/resources/" + testResource + "/secrets", `{"partial":true}`, "secrets"},
		{"bad date", "POST", base + "/invoices", `{"invoiceDate":"yesterday","period":{"start":"2026-01-01T00:00:00Z","end":"2026-02-01T00:00:00Z"},"items":[]}`, "invoiceDate"},
		{"wrong event type", "POST", base + "/events", `{"event":{"type":"resource.deleted","resourceId":"r"}}`, "event.type"},
		{"not JSON", "POST", base + "/billing", `{"timestamp":`, "body"},
		{"unknown patch key", "PATCH", base + "/resources/" + testResource, `{"nmae":"x"}`, "nmae"},
		{"empty patch", "PATCH", base + "/resources/" + testResource, `{}`, "body"},
	}
	for _, c := range cases {
		status, body := e.call(t, c.method, c.path, c.body)
		errBody, _ := body["error"].(map[string]any)
		fields, _ := errBody["fields"].([]any)
		found := false
		for _, f := range fields {
			if fm, _ := f.(map[string]any); fm["key"] == c.key {
				found = true
			}
		}
		if status != 400 || !found {
			t.Errorf("%s: %d %v, want 400 naming %q", c.name, status, body, c.key)
		}
	}
	if n := len(e.sim.Requests()) - len(e.sim.RequestsTo(vercelsim.RouteJWKS)); n != 0 {
		t.Errorf("Vercel received %d requests", n)
	}
	var n int
	e.db.GetContext(t.Context(), &n, `SELECT COUNT(*) FROM deliveries`)
	if n != 0 {
		t.Errorf("%d deliveries queued", n)
	}
	// The rename refused above changed nothing locally.
	var name string
	e.db.GetContext(t.Context(), &name, `SELECT name FROM resources WHERE id = ?`, testResource)
	if name != "main" {
		t.Errorf("resource renamed to %q", name)
	}
}

func TestInternalTokenIsRequiredEverywhere(t *testing.T) {
	t.Parallel()
	e := newInternalEnv(t, fastRetries)
	routes := [][2]string{
		{"GET", "/installations"}, {"GET", base}, {"GET", base + "/account"}, {"GET", base + "/members/m1"},
		{"POST", base + "/events"}, {"PATCH", base + "/resources/r"}, {"PUT", base + "/resources/r/secrets"},
		{"POST", base + "/billing"}, {"POST", base + "/invoices"}, {"GET", base + "/invoices/i"},
		{"POST", base + "/invoices/i/refund"}, {"GET", "/deliveries/d"}, {"GET", "/events"}, {"GET", "/openapi.json"},
	}
	for _, rt := range routes {
		for _, auth := range []string{"", "Bearer ", "Bearer wrong-token", "Basic " + internalToken, internalToken, "Bearer " + internalToken + "x"} {
			status, body := e.call(t, rt[0], rt[1], secretsBody("s3cr3t"), "Authorization", auth)
			if status != 401 || body["error"].(map[string]any)["code"] != "unauthorized" {
				t.Errorf("%s %s with %q: %d %v", rt[0], rt[1], auth, status, body)
			}
		}
	}
	if n := len(e.sim.RequestsTo(vercelsim.RouteUpdateSecretsByID)); n != 0 {
		t.Errorf("Vercel received %d writes", n)
	}
}

func TestReadsAndInstallationsNeverShowTheToken(t *testing.T) {
	t.Parallel()
	e := newInternalEnv(t, fastRetries)
	e.sim.SetMember(testInstallation, "m1", "USER", "bob@acme.dev")
	status, body := e.call(t, "GET", base+"/account", "")
	if status != 200 || body["url"] == nil {
		t.Errorf("account: %d %v", status, body)
	}
	status, body = e.call(t, "GET", base+"/members/m1", "")
	if status != 200 || body["role"] != "USER" {
		t.Errorf("member: %d %v", status, body)
	}
	status, body = e.call(t, "GET", base+"/members/nobody", "")
	if status != 404 || body["error"].(map[string]any)["code"] != "vercel_rejected" {
		t.Errorf("unknown member: %d %v", status, body)
	}
	status, body = e.call(t, "GET", "/installations/icfg_unknown", "")
	if status != 404 {
		t.Errorf("unknown installation: %d %v", status, body)
	}
	e.sim.Enqueue(vercelsim.RouteGetAccountInfo, vercelsim.Fault{Status: 503}, vercelsim.Fault{Status: 503}, vercelsim.Fault{Status: 503})
	if status, body = e.call(t, "GET", base+"/account", ""); status != 503 {
		t.Errorf("account while Vercel fails: %d %v", status, body)
	}
	for _, p := range []string{"/installations", base} {
		req, _ := http.NewRequest("GET", e.srv.URL+"/internal/v1"+p, nil)
		req.Header.Set("Authorization", "Bearer "+internalToken)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(raw), testInstallation) || strings.Contains(string(raw), e.token) ||
			strings.Contains(strings.ToLower(string(raw)), "token") {
			t.Errorf("GET %s: %d %s", p, res.StatusCode, raw)
		}
	}
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	e := newInternalEnv(t, fastRetries)
	path := base + "/resources/" + testResource + "/secrets"
	s1, b1 := e.call(t, "PUT", path, secretsBody("v1"), "Idempotency-Key", "k-1")
	s2, b2 := e.call(t, "PUT", path, secretsBody("v1"), "Idempotency-Key", "k-1")
	if s1 != 200 || s2 != 200 || deliveryOf(b1)["id"] != deliveryOf(b2)["id"] {
		t.Errorf("repeat: %d %v / %d %v", s1, b1, s2, b2)
	}
	s3, b3 := e.call(t, "PUT", path, secretsBody("v2"), "Idempotency-Key", "k-1")
	if s3 != 409 || b3["error"].(map[string]any)["code"] != "idempotency_key_reused" {
		t.Errorf("other body: %d %v", s3, b3)
	}
	if n := len(e.sim.RequestsTo(vercelsim.RouteUpdateSecretsByID)); n != 1 {
		t.Errorf("Vercel saw %d writes, want 1", n)
	}
	// A repeated rename changes nothing more and answers the same delivery.
	r1, rb1 := e.call(t, "PATCH", base+"/resources/"+testResource, `{"name":"n1"}`, "Idempotency-Key", "k-2")
	r2, rb2 := e.call(t, "PATCH", base+"/resources/"+testResource, `{"name":"n1"}`, "Idempotency-Key", "k-2")
	if r1 != 200 || r2 != 200 || deliveryOf(rb1)["id"] != deliveryOf(rb2)["id"] {
		t.Errorf("rename repeat: %d %v / %d %v", r1, rb1, r2, rb2)
	}
	if r, rb := e.call(t, "PATCH", base+"/resources/"+testResource, `{"name":"n2"}`, "Idempotency-Key", "k-2"); r != 409 {
		t.Errorf("rename other body: %d %v", r, rb)
	}
	var renamed int
	e.db.GetContext(t.Context(), &renamed, `SELECT COUNT(*) FROM events WHERE type = 'resource.renamed'`)
	if renamed != 1 {
		t.Errorf("%d resource.renamed events, want 1", renamed)
	}
}

func TestEventFeedIsOrderedAndPaged(t *testing.T) {
	t.Parallel()
	e := newInternalEnv(t, fastRetries)
	for _, name := range []string{"a", "b", "c"} {
		if s, b := e.call(t, "PATCH", base+"/resources/"+testResource, `{"name":"`+name+`"}`); s != 200 {
			t.Fatalf("rename: %d %v", s, b)
		}
	}
	if err := e.sim.UpdateInstallationPlan(t.Context(), e.srv.URL, testInstallation, "pro200"); err != nil {
		t.Fatal(err)
	}
	var types []string
	seen := map[string]bool{}
	after := "0"
	for range 10 {
		status, body := e.call(t, "GET", "/events?limit=2&after="+after, "")
		if status != 200 {
			t.Fatalf("feed: %d %v", status, body)
		}
		evs := body["events"].([]any)
		for _, ev := range evs {
			m := ev.(map[string]any)
			if seen[m["cursor"].(string)] {
				t.Errorf("cursor %s repeated", m["cursor"])
			}
			seen[m["cursor"].(string)] = true
			types = append(types, m["type"].(string))
		}
		after = body["nextCursor"].(string)
		if len(evs) == 0 {
			break
		}
	}
	want := "installation.created resource.renamed resource.renamed resource.renamed installation.updated"
	if got := strings.Join(types, " "); got != want {
		t.Errorf("feed %q, want %q", got, want)
	}
	for _, q := range []string{"after=-1", "after=x", "limit=0", "limit=5000"} {
		if s, _ := e.call(t, "GET", "/events?"+q, ""); s != 400 {
			t.Errorf("%s: %d", q, s)
		}
	}
}

func TestOpenAPIIsServedAndMetricsShowBacklog(t *testing.T) {
	t.Parallel()
	e := newInternalEnv(t, fastRetries)
	status, body := e.call(t, "GET", "/openapi.json", "")
	if status != 200 || body["openapi"] != "3.1.0" {
		t.Errorf("openapi: %d", status)
	}
	e.call(t, "POST", base+"/events", `{"event":{"type":"installation.updated"}}`)
	res, err := http.Get(e.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{"partner_deliveries_pending 0", "partner_deliveries_oldest_pending_age_seconds",
		`partner_vercel_calls_total{operation="createEvent",outcome="delivered"} 1`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	var bad map[string]any
	if json.Unmarshal(raw, &bad) == nil {
		t.Error("metrics are JSON?")
	}
}

func TestQueuedSecretValuesAreSealedAtRest(t *testing.T) {
	t.Parallel()
	e := newInternalEnv(t, fastRetries)
	e.sim.SetDown(true)
	const value = "postgres://app:PlainSecretMarker@db/main"
	status, body := e.call(t, "PUT", "/installations/"+testInstallation+"/resources/"+testResource+"/secrets",
		`{"secrets":[{"name":"DATABASE_URL","value":"`+value+`"}]}`)
	if status != 202 {
		t.Fatalf("status %d: %v", status, body)
	}
	var stored []string
	if err := e.db.Select(&stored, `SELECT body FROM deliveries`); err != nil || len(stored) != 1 {
		t.Fatalf("stored bodies %d, %v", len(stored), err)
	}
	if strings.Contains(stored[0], "PlainSecretMarker") {
		t.Error("the queued secret value is stored in plaintext")
	}
	e.sim.SetDown(false)
	id := body["delivery"].(map[string]any)["id"].(string)
	if d := e.waitDelivery(t, id); d["status"] != "delivered" {
		t.Fatalf("delivery %v", d)
	}
	if got := e.sim.Secrets(testInstallation, testResource); len(got) != 1 || got[0].Value != value {
		t.Errorf("Vercel holds %+v", got)
	}
}
