package internalapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

const eventBody = `{"event":{"type":"resource.updated","resourceId":"db_7Hq2Lx"}}`

func TestTwo503sThenSuccessIsDeliveredOnTheThirdAttempt(t *testing.T) {
	t.Parallel()
	e := newInternalEnv(t, fastRetries)
	e.sim.Enqueue(vercelsim.RouteCreateEvent, vercelsim.Fault{Status: 503}, vercelsim.Fault{Status: 503})
	status, body := e.call(t, "POST", base+"/events", eventBody)
	d := deliveryOf(body)
	if status != 202 || d["status"] != "pending" || d["attempts"] != 1.0 || d["nextAttemptAt"] == "" ||
		!strings.Contains(d["lastError"].(string), "503") {
		t.Fatalf("first answer: %d %v", status, body)
	}
	final := e.waitDelivery(t, d["id"].(string))
	if final["status"] != "delivered" || final["attempts"] != 3.0 {
		t.Errorf("final: %v", final)
	}
	if n := len(e.sim.RequestsTo(vercelsim.RouteCreateEvent)); n != 3 {
		t.Errorf("Vercel saw %d attempts, want 3", n)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	e := newInternalEnv(t, fastRetries)
	e.sim.Enqueue(vercelsim.RouteCreateEvent, vercelsim.Fault{Status: 429, Header: http.Header{"Retry-After": {"1"}}})
	start := time.Now()
	status, body := e.call(t, "POST", base+"/events", eventBody)
	if status != 202 {
		t.Fatalf("%d %v", status, body)
	}
	next, err := time.Parse(time.RFC3339Nano, deliveryOf(body)["nextAttemptAt"].(string))
	if err != nil || next.Sub(start) < time.Second-10*time.Millisecond {
		t.Errorf("next attempt at %v, %v after the request (%v)", next, next.Sub(start), err)
	}
	final := e.waitDelivery(t, deliveryOf(body)["id"].(string))
	if final["status"] != "delivered" || time.Since(start) < time.Second {
		t.Errorf("delivered %v after %v", final, time.Since(start))
	}
}

func TestVercelRefusalIsReportedAndNotRetried(t *testing.T) {
	t.Parallel()
	e := newInternalEnv(t, fastRetries)
	e.sim.Enqueue(vercelsim.RouteCreateEvent, vercelsim.Fault{Status: 409})
	status, body := e.call(t, "POST", base+"/events", eventBody)
	errBody, _ := body["error"].(map[string]any)
	vercel, _ := errBody["vercel"].(map[string]any)
	vbody, _ := vercel["body"].(map[string]any)
	if status != 409 || errBody["code"] != "vercel_rejected" || vercel["status"] != 409.0 || vbody["error"] == nil {
		t.Fatalf("%d %v", status, body)
	}
	time.Sleep(200 * time.Millisecond) // several worker polls
	if n := len(e.sim.RequestsTo(vercelsim.RouteCreateEvent)); n != 1 {
		t.Errorf("Vercel saw %d attempts, want 1", n)
	}
	var st string
	e.db.GetContext(t.Context(), &st, `SELECT status FROM deliveries`)
	if st != deliveries.StatusRejected {
		t.Errorf("delivery %s", st)
	}
}

func TestRejectedInstallationTokenIs502(t *testing.T) {
	t.Parallel()
	e := newInternalEnv(t, fastRetries)
	e.sim.Enqueue(vercelsim.RouteUpdateSecretsByID, vercelsim.Fault{Status: 401})
	status, body := e.call(t, "PUT", base+"/resources/"+testResource+"/secrets", secretsBody("s3cr3t-value"))
	if status != 502 || body["error"].(map[string]any)["code"] != "installation_token_rejected" {
		t.Errorf("%d %v", status, body)
	}
	var lastErr string
	e.db.GetContext(t.Context(), &lastErr, `SELECT last_error FROM deliveries`)
	if strings.Contains(lastErr, e.token) || strings.Contains(lastErr, "s3cr3t") {
		t.Errorf("last_error leaks: %q", lastErr)
	}
	var stored string
	e.db.GetContext(t.Context(), &stored, `SELECT body FROM deliveries`)
	if strings.Contains(stored, "s3cr3t") {
		t.Error("secret values are stored in plaintext")
	}
}

func TestUnreachableVercelGets202ThenDelivery(t *testing.T) {
	t.Parallel()
	e := newInternalEnv(t, fastRetries)
	e.sim.SetDown(true)
	status, body := e.call(t, "PUT", base+"/resources/"+testResource+"/secrets", secretsBody("v-down"))
	if status != 202 || deliveryOf(body)["status"] != "pending" {
		t.Fatalf("%d %v", status, body)
	}
	time.Sleep(150 * time.Millisecond)
	_, again := e.call(t, "GET", "/deliveries/"+deliveryOf(body)["id"].(string), "")
	if deliveryOf(again)["status"] != "pending" {
		t.Fatalf("while down: %v", again)
	}
	e.sim.SetDown(false)
	final := e.waitDelivery(t, deliveryOf(body)["id"].(string))
	if final["status"] != "delivered" {
		t.Fatalf("final %v", final)
	}
	if s := e.sim.Secrets(testInstallation, testResource); len(s) != 1 || s[0].Value != "v-down" {
		t.Errorf("Vercel holds %v", s)
	}
	if n := len(succeeded(e.sim, vercelsim.RouteUpdateSecretsByID)); n != 1 {
		t.Errorf("delivered %d times", n)
	}
}

func TestSecretsForOneResourceArriveInOrder(t *testing.T) {
	t.Parallel()
	e := newInternalEnv(t, fastRetries)
	path := base + "/resources/" + testResource + "/secrets"
	e.sim.Enqueue(vercelsim.RouteUpdateSecretsByID, vercelsim.Fault{Status: 503}, vercelsim.Fault{Status: 503})
	s1, b1 := e.call(t, "PUT", path, secretsBody("first"))
	s2, b2 := e.call(t, "PUT", path, secretsBody("second"))
	if s1 != 202 || s2 != 202 {
		t.Fatalf("answers %d %v / %d %v", s1, b1, s2, b2)
	}
	// An unrelated write does not wait behind them.
	if s, b := e.call(t, "POST", base+"/events", `{"event":{"type":"installation.updated"}}`); s != 200 {
		t.Errorf("unrelated write: %d %v", s, b)
	}
	e.waitDelivery(t, deliveryOf(b1)["id"].(string))
	if d := e.waitDelivery(t, deliveryOf(b2)["id"].(string)); d["status"] != "delivered" {
		t.Fatalf("second: %v", d)
	}
	if s := e.sim.Secrets(testInstallation, testResource); len(s) != 1 || s[0].Value != "second" {
		t.Errorf("Vercel holds %v, want the second set", s)
	}
	ok := succeeded(e.sim, vercelsim.RouteUpdateSecretsByID)
	if len(ok) != 2 || !strings.Contains(string(ok[0].Body), "first") || !strings.Contains(string(ok[1].Body), "second") {
		t.Errorf("delivered in the wrong order or count: %d", len(ok))
	}
}

func TestDeliveryDiesAfterMaxAgeAndStaysVisible(t *testing.T) {
	t.Parallel()
	opts := fastRetries
	opts.MaxAge = 300 * time.Millisecond
	e := newInternalEnv(t, opts)
	e.sim.SetDown(true)
	status, body := e.call(t, "POST", base+"/events", eventBody)
	id, pending := deliveryOf(body)["id"].(string)
	if !pending {
		// On a slow machine the first attempt itself may outlive MaxAge:
		// the write is then answered as dead, and the feed names it.
		if status != http.StatusBadGateway {
			t.Fatalf("write answered %d %v", status, body)
		}
	}
	_, feed := e.call(t, "GET", "/events", "")
	evs := feed["events"].([]any)
	last := evs[len(evs)-1].(map[string]any)
	if !pending {
		id, _ = last["subject"].(string)
	}
	d := e.waitDelivery(t, id)
	if d["status"] != "dead" || (pending && d["attempts"].(float64) < 2) {
		t.Fatalf("%v", d)
	}
	_, feed = e.call(t, "GET", "/events", "")
	evs = feed["events"].([]any)
	last = evs[len(evs)-1].(map[string]any)
	if last["type"] != "delivery.dead" || last["subject"] != d["id"] {
		t.Errorf("feed ends with %v", last)
	}
}
