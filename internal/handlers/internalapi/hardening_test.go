package internalapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

func invoiceBody(externalID string) string {
	ts, _, start, end := billingDates()
	return fmt.Sprintf(`{"externalId":%q,"invoiceDate":%q,"period":{"start":%q,"end":%q},
		"items":[{"billingPlanId":"pro200","resourceId":"db_7Hq2Lx","name":"Pro plan","price":"20.00","quantity":1,"units":"month","total":"20.00"}],
		"test":{"validate":true,"result":"paid"}}`, externalID, ts, start, end)
}

func TestMalformedPathIDsAreRefusedBeforeQueueing(t *testing.T) {
	t.Parallel()
	e := newInternalEnv(t, fastRetries)
	before := len(e.sim.Requests())
	for _, c := range []struct{ method, path, body string }{
		{"POST", base + "/invoices/%FF%FE/refund", `{"reason":"r","total":"1.00"}`},
		{"POST", base + "/invoices/a%00b/refund", `{"reason":"r","total":"1.00"}`},
		{"GET", base + "/members/..", ""},
		{"GET", base + "/members/.", ""},
		{"GET", base + "/invoices/" + strings.Repeat("x", 200), ""},
		{"PUT", base + "/resources/%2E%2E/secrets", `{"secrets":[]}`},
		{"GET", "/installations/icfg%00x", ""},
	} {
		if s, b := e.call(t, c.method, c.path, c.body); s != 400 || b["error"].(map[string]any)["fields"] == nil {
			t.Errorf("%s %s: %d %v, want 400 with fields", c.method, c.path, s, b)
		}
	}
	var n int
	e.db.GetContext(t.Context(), &n, `SELECT COUNT(*) FROM deliveries`)
	if n != 0 {
		t.Errorf("%d deliveries queued for malformed ids", n)
	}
	if got := len(e.sim.Requests()); got != before {
		t.Errorf("Vercel was called %d times for malformed ids", got-before)
	}
}

func TestInvoiceSubmissionDoesNotWaitBehindAnotherInvoicesRefund(t *testing.T) {
	t.Parallel()
	e := newInternalEnv(t, fastRetries)
	e.sim.Enqueue(vercelsim.RouteUpdateInvoice, vercelsim.Fault{Status: 503}, vercelsim.Fault{Status: 503}, vercelsim.Fault{Status: 503})
	s, b := e.call(t, "POST", base+"/invoices/inv_other/refund", `{"reason":"r","total":"1.00"}`)
	if s != 202 {
		t.Fatalf("refund against a failing Vercel: %d %v", s, b)
	}
	if s, b := e.call(t, "POST", base+"/invoices", invoiceBody("inv_next")); s != 201 {
		t.Errorf("an invoice behind another invoice's pending refund: %d %v, want 201 at once", s, b)
	}
}

func TestOperatorRetriesAndCancelsAPendingDelivery(t *testing.T) {
	t.Parallel()
	slow := fastRetries
	slow.BaseBackoff, slow.MaxBackoff = time.Hour, time.Hour
	e := newInternalEnv(t, slow)
	e.sim.Enqueue(vercelsim.RouteUpdateSecretsByID, vercelsim.Fault{Status: 503})
	path := base + "/resources/" + testResource + "/secrets"
	_, b := e.call(t, "PUT", path, secretsBody("first"))
	id, _ := deliveryOf(b)["id"].(string)
	if s, _ := e.call(t, "POST", "/deliveries/"+id+"/retry", ""); s != 200 {
		t.Fatalf("retry: %d", s)
	}
	if d := e.waitDelivery(t, id); d["status"] != "delivered" {
		t.Errorf("after retry now: %v", d)
	}
	if s, b := e.call(t, "POST", "/deliveries/"+id+"/cancel", ""); s != 409 {
		t.Errorf("cancel a delivered delivery: %d %v, want 409", s, b)
	}
	// A stuck head is cancelled: the write behind it goes ahead.
	e.sim.Enqueue(vercelsim.RouteUpdateSecretsByID, vercelsim.Fault{Status: 503})
	_, b = e.call(t, "PUT", path, secretsBody("stuck"))
	stuck, _ := deliveryOf(b)["id"].(string)
	_, b = e.call(t, "PUT", path, secretsBody("after"))
	next, _ := deliveryOf(b)["id"].(string)
	if s, b := e.call(t, "POST", "/deliveries/"+stuck+"/cancel", ""); s != 200 || deliveryOf(b)["status"] != "dead" {
		t.Fatalf("cancel: %d %v", s, b)
	}
	if d := e.waitDelivery(t, next); d["status"] != "delivered" {
		t.Errorf("the write behind a cancelled one: %v", d)
	}
	if s, _ := e.call(t, "POST", "/deliveries/dlv_nope/retry", ""); s != 404 {
		t.Errorf("retry unknown: %d", s)
	}
}

func TestRepeatedIdenticalFailureGoesDeadEarly(t *testing.T) {
	t.Parallel()
	e := newInternalEnv(t, fastRetries)
	faults := make([]vercelsim.Fault, 30)
	for i := range faults {
		faults[i] = vercelsim.Fault{Status: 500, Body: `{"error":{"code":"internal_server_error","message":"boom"}}`}
	}
	e.sim.Enqueue(vercelsim.RouteCreateEvent, faults...)
	_, b := e.call(t, "POST", base+"/events", `{"event":{"type":"installation.updated"}}`)
	id, _ := deliveryOf(b)["id"].(string)
	d := e.waitDelivery(t, id)
	if d["status"] != "dead" {
		t.Fatalf("after the same 500 again and again: %v, want dead", d)
	}
	if n := d["attempts"].(float64); n != 10 {
		t.Errorf("dead after %v attempts, want 10 (the default)", n)
	}
}

func TestSlowVercelNeverGetsAnInvoiceTwice(t *testing.T) {
	t.Parallel()
	opts := fastRetries
	opts.FirstAttemptTimeout = 500 * time.Millisecond
	e := newInternalEnv(t, opts)
	e.sim.Enqueue(vercelsim.RouteSubmitInvoice, vercelsim.Fault{Delay: 1500 * time.Millisecond})
	s, b := e.call(t, "POST", base+"/invoices", invoiceBody("inv_slow"))
	if s != http.StatusAccepted {
		t.Fatalf("slow Vercel: %d %v, want 202", s, b)
	}
	id, _ := deliveryOf(b)["id"].(string)
	if d := e.waitDelivery(t, id); d["status"] != "delivered" {
		t.Fatalf("the first attempt went on and landed: %v", d)
	}
	time.Sleep(300 * time.Millisecond) // room for a wrong second attempt
	if n := len(e.sim.RequestsTo(vercelsim.RouteSubmitInvoice)); n != 1 {
		t.Errorf("Vercel received the invoice %d times, want once", n)
	}
}

func TestConflictOnAnInvoiceWeMayHaveSentCountsAsDelivered(t *testing.T) {
	t.Parallel()
	e := newInternalEnv(t, fastRetries)
	// An attempt reached Vercel, then the process died before recording
	// the answer: Vercel has the invoice, and the delivery was leased once
	// with no attempt recorded.
	if s, b := e.call(t, "POST", base+"/invoices", invoiceBody("inv_dup")); s != 201 {
		t.Fatalf("first submission: %d %v", s, b)
	}
	now := time.Now()
	ghost := deliveries.Delivery{ID: "dlv_ghost", InstallationID: testInstallation, Operation: deliveries.OpSubmitInvoice,
		OrderKey: testInstallation + "|submission|dlv_ghost", Status: deliveries.StatusPending,
		NextAttemptAt: now, CreatedAt: now, UpdatedAt: now, Body: invoiceBody("inv_dup")}
	if _, _, err := db.NewDeliveries(e.db).InsertDelivery(t.Context(), ghost, "dead-process", now.Add(-time.Second), nil); err != nil {
		t.Fatal(err)
	}
	e.svc.Wake()
	if d := e.waitDelivery(t, "dlv_ghost"); d["status"] != "delivered" {
		t.Errorf("a 409 for an invoice an earlier attempt may have sent: %v, want delivered", d)
	}
	// A new request reusing an externalId is a real conflict.
	if s, b := e.call(t, "POST", base+"/invoices", invoiceBody("inv_dup")); s != 409 {
		t.Errorf("a new request reusing an externalId: %d %v, want 409", s, b)
	}
}

// TestTakenOverKeyFindsTheFirstDelivery: a replica dies after recording a
// delivery but before finishing its Idempotency-Key; the retry that takes
// the abandoned key over must find that delivery, not queue a second.
func TestTakenOverKeyFindsTheFirstDelivery(t *testing.T) {
	t.Parallel()
	e := newInternalEnv(t, fastRetries)
	write := func(key string) deliveries.Write {
		w := deliveries.CreateEvent(testInstallation, eventRequest(testResource))
		w.IdemKey = key
		return w
	}
	key := "internal:" + testInstallation + " k-dead-replica"
	first, err := e.svc.Enqueue(t.Context(), write(key))
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.svc.Enqueue(t.Context(), write(key))
	if err != nil || again.ID != first.ID {
		t.Fatalf("retry under the same key: %s %v, want the first delivery %s", again.ID, err, first.ID)
	}
	if n := len(e.sim.RequestsTo(vercelsim.RouteCreateEvent)); n != 1 {
		t.Errorf("Vercel received %d events, want 1", n)
	}
	// Writes without a key are never taken for one another.
	a, _ := e.svc.Enqueue(t.Context(), write(""))
	b, _ := e.svc.Enqueue(t.Context(), write(""))
	if a.ID == b.ID {
		t.Error("two writes without a key became one delivery")
	}
}

// TestHandlersPassTheRequestsKey: the same, through HTTP. The first
// request's claim is dropped as a dead replica's would go stale; the
// retry claims the key again and the handler hands it to the queue,
// which finds the first delivery.
func TestHandlersPassTheRequestsKey(t *testing.T) {
	t.Parallel()
	e := newInternalEnv(t, fastRetries)
	for _, w := range []struct{ method, path, body string }{
		{"POST", base + "/events", `{"event":{"type":"resource.updated","productId":"postgres","resourceId":"` + testResource + `"}}`},
		{"PUT", base + "/resources/" + testResource + "/secrets", secretsBody("v1")},
		{"PATCH", base + "/resources/" + testResource, `{"name":"renamed"}`},
	} {
		key := "k-taken-over-" + w.method
		s1, b1 := e.call(t, w.method, w.path, w.body, "Idempotency-Key", key)
		if _, err := e.db.ExecContext(t.Context(), e.db.Rebind(`DELETE FROM idempotency_keys WHERE idem_key = ?`), key); err != nil {
			t.Fatal(err)
		}
		s2, b2 := e.call(t, w.method, w.path, w.body, "Idempotency-Key", key)
		d1, d2 := deliveryOf(b1), deliveryOf(b2)
		if s1 >= 300 || d1["id"] == nil || d2["id"] != d1["id"] {
			t.Errorf("%s %s: %d %v then %d %v, want the first delivery found again", w.method, w.path, s1, b1, s2, b2)
		}
	}
}
