package internalapi_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/app/apptest"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

var meteredCatalog = installations.Catalog{{ID: "postgres", Name: "Postgres", Plans: []installations.BillingPlan{
	{ID: "metered", Type: "subscription", Name: "Metered", Description: "Pay as you go", Price: "5",
		Meters: []installations.Meter{
			{Name: "storage", Units: "GB", Type: "total", Price: "0.10", Included: "10"},
			{Name: "queries", Units: "1k queries", Type: "interval", Price: "0.002"},
		}},
}}}

// usageEnv has an installation with resource db_1 on the metered plan, on
// a server whose clock stands at now.
func usageEnv(t testing.TB, now time.Time) *internalEnv {
	return usageEnvAt(t, func() time.Time { return now })
}

// usageEnvAt is usageEnv on the clock now.
func usageEnvAt(t testing.TB, now func() time.Time) *internalEnv {
	t.Helper()
	env := apptest.New(t, apptest.Options{Catalog: meteredCatalog, Now: now})
	e := &internalEnv{sim: env.Sim, srv: env.Srv, db: env.App.DB}
	if _, err := e.sim.Install(context.Background(), e.srv.URL, testInstallation); err != nil {
		t.Fatal(err)
	}
	if _, err := env.App.Resources.PutResource(context.Background(), installations.Resource{ID: "db_1",
		InstallationID: testInstallation, ProductID: "postgres", Name: "main", Status: "ready", BillingPlanID: "metered"}); err != nil {
		t.Fatal(err)
	}
	return e
}

func records(rs ...string) string { return `{"records":[` + strings.Join(rs, ",") + `]}` }

func TestUsageLedger(t *testing.T) {
	e := usageEnv(t, time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC))
	path := "/installations/" + testInstallation + "/usage"
	q := func(id, value, at string) string {
		return fmt.Sprintf(`{"id":%q,"resourceId":"db_1","meter":"queries","value":%s,"at":%q}`, id, value, at)
	}
	tests := []struct {
		name   string
		body   string
		status int
		new    float64
		fields []string // expected field keys, in order
	}{
		{"new records", records(q("r1", "1000.5", "2026-03-02T00:00:00Z"), q("r2", "2e3", "2026-03-15T12:04:00Z")), 200, 2, nil},
		{"same again, one more", records(q("r1", "1000.50", "2026-03-02T00:00:00Z"), q("r3", "0.0000001", "2026-03-10T00:00:00Z")), 200, 1, nil},
		{"same id, other value", records(q("r4", "1", "2026-03-10T00:00:00Z"), q("r1", "7", "2026-03-02T00:00:00Z")), 409, 0, nil},
		{"bad records", records(q("r5", "1", "2026-03-10T00:00:00Z"),
			`{"id":"r6","resourceId":"db_1","meter":"cpu","value":1,"at":"2026-03-10T00:00:00Z"}`,
			q("r7", "-1", "2026-03-10T00:00:00Z"),
			q("r8", `"5"`, "2026-02-28T23:59:59Z"),
			q("r9", "1", "2026-03-15T12:06:00Z"),
			`{"id":"","resourceId":"db_9","meter":"queries","value":1,"at":"yesterday"}`),
			400, 0, []string{"records[1].meter", "records[2].value", "records[3].value", "records[3].at", "records[4].at",
				"records[5].at", "records[5].resourceId", "records[5].id", "records[5].meter"}},
		{"id of 200 characters", records(q(strings.Repeat("é", 200), "0", "2026-03-10T00:00:00Z")), 200, 1, nil},
		{"id of 201 characters", records(q(strings.Repeat("é", 201), "1", "2026-03-10T00:00:00Z")), 400, 0, []string{"records[0].id"}},
		{"no records", `{"records":[]}`, 400, 0, []string{"records"}},
		{"too many", records(strings.Repeat(q("x", "1", "2026-03-10T00:00:00Z")+",", 1000) + q("x", "1", "2026-03-10T00:00:00Z")), 400, 0, []string{"records"}},
	}
	for _, tt := range tests {
		code, body := e.call(t, "POST", path, tt.body)
		if code != tt.status {
			t.Fatalf("%s: %d %v, want %d", tt.name, code, body, tt.status)
		}
		if code == 200 && body["new"] != tt.new {
			t.Errorf("%s: new = %v, want %v", tt.name, body["new"], tt.new)
		}
		if msg := fmt.Sprint(body["error"]); code == 409 && !strings.Contains(msg, "usage_conflict") || code == 409 && !strings.Contains(msg, "records[1].id") {
			t.Errorf("%s: %s, want usage_conflict naming records[1].id", tt.name, msg)
		}
		if got := fieldKeys(body); strings.Join(got, " ") != strings.Join(tt.fields, " ") {
			t.Errorf("%s: fields %v, want %v", tt.name, got, tt.fields)
		}
	}
	// Nothing of the refused batches was kept (r4, r5): 1000.5 + 2000 + 0.0000001.
	code, body := e.call(t, "GET", path, "")
	if code != 200 {
		t.Fatalf("GET usage: %d %v", code, body)
	}
	lines, _ := body["lines"].([]any)
	// 5.00 flat + storage 0 + queries 3000.5000001 x 0.002 = 6.0010000002 -> 6.00.
	if len(lines) != 3 || body["total"] != "11.00" {
		t.Fatalf("usage = %v, want 3 lines totalling 11.00", body)
	}
	queries, _ := lines[2].(map[string]any)
	if queries["aggregate"] != 3000.5000001 || queries["dayValue"] != 2000.0 || queries["total"] != "6.00" {
		t.Errorf("queries line = %v", queries)
	}
}

func fieldKeys(body map[string]any) []string {
	e, _ := body["error"].(map[string]any)
	fields, _ := e["fields"].([]any)
	var keys []string
	for _, f := range fields {
		m, _ := f.(map[string]any)
		keys = append(keys, fmt.Sprint(m["key"]))
	}
	return keys
}

func TestBillingRunTakesNowOnlyWhenAllowed(t *testing.T) {
	e := usageEnv(t, time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC))
	code, body := e.call(t, "POST", "/billing/run", `{"now":"2026-04-01T00:00:00Z"}`)
	if code != 400 || strings.Join(fieldKeys(body), " ") != "now" {
		t.Errorf("run with now: %d %v, want 400 on now", code, body)
	}
	code, body = e.call(t, "POST", "/billing/run", "")
	counts, _ := body["counts"].(map[string]any)
	if code != 200 || body["now"] != "2026-03-15T12:00:00Z" || counts["billingData"] != 1.0 || counts["invoices"] != 0.0 {
		t.Errorf("run: %d %v, want one billing data as of the server's clock", code, body)
	}
}

// TestUsageRefusedAfterTheFinalInvoice: once an uninstalled installation's
// final invoice is queued, usage it is sent is refused with a 409 that says
// why (it would never be billed); the usage taken before is on the invoice.
func TestUsageRefusedAfterTheFinalInvoice(t *testing.T) {
	var clock atomic.Pointer[time.Time]
	installed, later := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	clock.Store(&installed)
	e := usageEnvAt(t, func() time.Time { return *clock.Load() })
	clock.Store(&later)
	path := "/installations/" + testInstallation + "/usage"
	rec := func(id string) string {
		return records(fmt.Sprintf(`{"id":%q,"resourceId":"db_1","meter":"queries","value":500,"at":"2026-03-15T11:00:00Z"}`, id))
	}
	if code, body := e.call(t, "POST", path, rec("before")); code != 200 {
		t.Fatalf("usage while installed: %d %v", code, body)
	}
	if finalized, err := e.sim.Uninstall(t.Context(), e.srv.URL, testInstallation); err != nil || finalized {
		t.Fatalf("uninstall: %v %v, want pending finalization", finalized, err)
	}
	if code, body := e.call(t, "POST", path, rec("pending")); code != 200 {
		t.Fatalf("usage before the final invoice: %d %v", code, body)
	}
	// Vercel is slow to take the invoice: finalization waits for it.
	e.sim.Enqueue(vercelsim.RouteSubmitInvoice, vercelsim.Fault{Status: 503})
	code, body := e.call(t, "POST", "/billing/run", "")
	if counts, _ := body["counts"].(map[string]any); code != 200 || counts["invoices"] != 1.0 || counts["finalizations"] != 0.0 {
		t.Fatalf("billing run: %d %v, want the final invoice queued", code, body)
	}
	code, body = e.call(t, "POST", path, rec("after"))
	if msg := fmt.Sprint(body["error"]); code != 409 || !strings.Contains(msg, "final_invoice_queued") || !strings.Contains(msg, "final invoice") {
		t.Errorf("usage after the final invoice: %d %v, want 409 final_invoice_queued", code, body)
	}
	// 5.00 flat + 1000 x 0.002 queries = 7.00: both records taken, none after.
	for deadline := time.Now().Add(20 * time.Second); len(e.sim.Invoices(testInstallation)) == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the final invoice never reached Vercel")
		}
	}
	if invoices := e.sim.Invoices(testInstallation); len(invoices) != 1 || invoices[0].Total != "7.00" {
		t.Errorf("invoices at Vercel: %+v, want one final invoice of 7.00", invoices)
	}
}

// BenchmarkUsageBatches posts new usage records through the HTTP API in
// batches of 100, from four clients at once, and reports records accepted
// per second.
func BenchmarkUsageBatches(b *testing.B) {
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	e := usageEnv(b, now)
	path := "/installations/" + testInstallation + "/usage"
	var next atomic.Int64
	b.SetParallelism(1) // one client per core
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var body strings.Builder
		for pb.Next() {
			body.Reset()
			body.WriteString(`{"records":[`)
			for i := range 100 {
				if i > 0 {
					body.WriteByte(',')
				}
				n := next.Add(1)
				fmt.Fprintf(&body, `{"id":"r%d","resourceId":"db_1","meter":"queries","value":%d.25,"at":"2026-03-15T11:00:00Z"}`, n, n%1000)
			}
			body.WriteString(`]}`)
			if code, out := e.call(b, "POST", path, body.String()); code != 200 || out["new"] != 100.0 {
				b.Errorf("%d %v", code, out)
				return
			}
		}
	})
	b.ReportMetric(float64(next.Load())/time.Since(start).Seconds(), "records/s")
}
