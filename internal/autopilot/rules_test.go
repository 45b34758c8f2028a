package autopilot_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// The billing correctness rules, one test each, through the autopilot with
// the test clock, on SQLite and PostgreSQL.

// TestResourceDeletedMidPeriodIsBilledForThePartItLived: db_1 (pro: 20.00
// flat, queries 0.002 per 1k) reports 1000 queries on January 5th and is
// deleted on the 10th. January's invoice still bills it: 20.00 + 2.00.
// db_2 lives from February 3rd to 5th: February bills its flat fee and
// its 500 queries (1.00). Every other surface sees the resources gone.
func TestResourceDeletedMidPeriodIsBilledForThePartItLived(t *testing.T) {
	eachStore(t, date("2027-01-02T09:00:00Z"), func(t *testing.T, e *env) {
		e.install(t, "icfg_d", "db_1", "pro")
		e.usage(t, "icfg_d", `{"id":"q1","resourceId":"db_1","meter":"queries","value":1000,"at":"2027-01-05T10:00:00Z"}`)
		e.clk.Set(date("2027-01-10T12:00:00Z"))
		e.deleteResource(t, "icfg_d", "db_1")
		// Usage for the time it lived may still come; not for after.
		if code, body := e.usageAt(t, "icfg_d", date("2027-01-10T12:30:00Z"),
			`{"id":"q2","resourceId":"db_1","meter":"queries","value":500,"at":"2027-01-10T11:59:00Z"}`); code != 200 {
			t.Fatalf("usage from before the deletion: %d %v", code, body)
		}
		if code, _ := e.usageAt(t, "icfg_d", date("2027-01-10T12:30:00Z"),
			`{"id":"q3","resourceId":"db_1","meter":"queries","value":500,"at":"2027-01-10T12:01:00Z"}`); code != 400 {
			t.Errorf("usage from after the deletion: %d, want 400", code)
		}
		if code, _ := e.call(t, "GET", "/installations/icfg_d/resources/db_1", ""); code != 404 {
			t.Errorf("internal API GET of a deleted resource: %d, want 404", code)
		}
		if _, body := e.call(t, "GET", "/installations/icfg_d/resources", ""); strings.Contains(fmt.Sprint(body), "db_1") {
			t.Errorf("internal API lists a deleted resource: %v", body)
		}
		e.run(t, date("2027-02-01T01:05:00Z"))
		jan := e.Sim.InvoicesForPeriod("icfg_d", month("2027-01-01T00:00:00Z"))
		if len(jan) != 1 || jan[0].Total != "23.00" || !strings.Contains(string(jan[0].Submitted), `"resourceId":"db_1"`) {
			t.Fatalf("January invoices = %s, want one of 23.00 for db_1 (20.00 + 1500 x 0.002)", brief(jan))
		}

		if _, err := e.App.Resources.PutResource(context.Background(), installations.Resource{ID: "db_2", InstallationID: "icfg_d",
			ProductID: "db", Name: "db_2", Status: "ready", BillingPlanID: "pro"}); err != nil {
			t.Fatal(err)
		}
		e.usage(t, "icfg_d", `{"id":"q4","resourceId":"db_2","meter":"queries","value":500,"at":"2027-02-04T10:00:00Z"}`)
		e.clk.Set(date("2027-02-05T00:00:00Z"))
		e.deleteResource(t, "icfg_d", "db_2")
		e.clk.Real(func() {
			if resp, _ := e.Sim.GetResource(context.Background(), e.URL, "icfg_d", "db_2"); resp.Status != 404 {
				t.Errorf("partner API GET of a deleted resource: %d, want 404", resp.Status)
			}
		})
		_, usage := e.call(t, "GET", "/installations/icfg_d/usage", "")
		if usage["total"] != "21.00" {
			t.Errorf("open period = %v, want the deleted db_2's 21.00", usage)
		}
		e.run(t, date("2027-03-01T01:05:00Z"))
		feb := e.Sim.InvoicesForPeriod("icfg_d", month("2027-02-01T00:00:00Z"))
		if len(feb) != 1 || feb[0].Total != "21.00" || !strings.Contains(string(feb[0].Submitted), `"resourceId":"db_2"`) {
			t.Fatalf("February invoices = %s, want one of 21.00 for db_2", brief(feb))
		}
		e.run(t, date("2027-04-01T01:05:00Z"))
		if n := len(e.Sim.Invoices("icfg_d")); n != 2 {
			t.Errorf("invoices = %d, want 2: a resource deleted in February bills nothing in March", n)
		}
	})
}

// TestOutageInvoicesEveryEndedPeriodOldestFirst: nothing runs from January
// 20th to April 10th. The first run after invoices January, February and
// March, oldest first, each once.
func TestOutageInvoicesEveryEndedPeriodOldestFirst(t *testing.T) {
	eachStore(t, date("2027-01-02T09:00:00Z"), func(t *testing.T, e *env) {
		e.install(t, "icfg_o", "db_o", "pro")
		e.usage(t, "icfg_o",
			`{"id":"q1","resourceId":"db_o","meter":"queries","value":1000,"at":"2027-01-05T10:00:00Z"}`,
			`{"id":"q2","resourceId":"db_o","meter":"queries","value":2000,"at":"2027-02-05T10:00:00Z"}`,
			`{"id":"q3","resourceId":"db_o","meter":"queries","value":3000,"at":"2027-03-05T10:00:00Z"}`)
		e.run(t, date("2027-01-20T10:00:00Z"))
		rep := e.run(t, date("2027-04-10T10:00:00Z")) // after the outage
		if n := rep["counts"].(map[string]any)["invoices"]; n != 3.0 {
			t.Errorf("run after the outage queued %v invoices, want 3", n)
		}
		e.run(t, date("2027-04-10T11:00:00Z"))
		got := e.Sim.Invoices("icfg_o") // in submission order
		want := []struct{ id, total string }{{"icfg_o-2027-01", "22.00"}, {"icfg_o-2027-02", "24.00"}, {"icfg_o-2027-03", "26.00"}}
		if len(got) != len(want) {
			t.Fatalf("invoices = %s, want January, February and March", brief(got))
		}
		for i, w := range want {
			if got[i].ExternalID != w.id || got[i].Total != w.total {
				t.Errorf("invoice %d = %s %s, want %s %s", i, got[i].ExternalID, got[i].Total, w.id, w.total)
			}
		}
		if n := len(e.Sim.RequestsTo(vercelsim.RouteSubmitInvoice)); n != 3 {
			t.Errorf("submitInvoice calls = %d, want 3", n)
		}
	})
}

// TestLateUsageForThePeriodsLastMinuteIsInvoiced: a record for January
// 31st 23:59 arrives at 00:01 on February 1st. It is accepted until the
// grace (1h) ends, January's invoice waits for the grace, and it carries
// the record; after the grace, January takes no more.
func TestLateUsageForThePeriodsLastMinuteIsInvoiced(t *testing.T) {
	eachStore(t, date("2027-01-02T09:00:00Z"), func(t *testing.T, e *env) {
		e.install(t, "icfg_l", "db_l", "pro")
		e.usage(t, "icfg_l", `{"id":"q1","resourceId":"db_l","meter":"queries","value":1000,"at":"2027-01-20T10:00:00Z"}`)
		if code, body := e.usageAt(t, "icfg_l", date("2027-02-01T00:01:00Z"),
			`{"id":"q2","resourceId":"db_l","meter":"queries","value":500,"at":"2027-01-31T23:59:00Z"}`); code != 200 {
			t.Fatalf("late usage for January's last minute: %d %v, want 200", code, body)
		}
		e.run(t, date("2027-02-01T00:05:00Z"))
		jan := month("2027-01-01T00:00:00Z")
		if got := e.Sim.InvoicesForPeriod("icfg_l", jan); len(got) != 0 {
			t.Fatalf("January invoiced during the grace: %s", brief(got))
		}
		if code, body := e.usageAt(t, "icfg_l", date("2027-02-01T00:59:59Z"),
			`{"id":"q3","resourceId":"db_l","meter":"queries","value":250,"at":"2027-01-31T23:59:30Z"}`); code != 200 {
			t.Fatalf("late usage in the grace's last second: %d %v", code, body)
		}
		code, body := e.usageAt(t, "icfg_l", date("2027-02-01T01:00:00Z"),
			`{"id":"q4","resourceId":"db_l","meter":"queries","value":1,"at":"2027-01-31T23:59:59Z"}`)
		if code != 400 || !strings.Contains(fmt.Sprint(body), "records[0].at") {
			t.Errorf("usage for January after the grace: %d %v, want 400 on records[0].at", code, body)
		}
		e.run(t, date("2027-02-01T01:05:00Z"))
		got := e.Sim.InvoicesForPeriod("icfg_l", jan)
		if len(got) != 1 || got[0].Total != "23.50" { // 20.00 + 1750 x 0.002
			t.Fatalf("January invoices = %s, want one of 23.50 with the late usage", brief(got))
		}
		var last struct {
			Usage []struct{ PeriodValue json.Number }
		}
		if err := json.Unmarshal(e.Sim.BillingByDay("icfg_l")["2027-01-31"], &last); err != nil || len(last.Usage) != 2 ||
			last.Usage[1].PeriodValue != "1750" {
			t.Errorf("January's last billing data = %+v %v, want queries 1750", last, err)
		}
	})
}

// TestRefusedInvoiceIsVisibleAndCanBeRequeued: Vercel refuses January's
// invoice. The internal API shows the period, the refused delivery and why;
// an operator re-queues it once the cause is fixed and it is sent once:
// a second re-queue, or concurrent ones, send nothing more. Finalization
// waits for it.
func TestRefusedInvoiceIsVisibleAndCanBeRequeued(t *testing.T) {
	eachStore(t, date("2027-01-02T09:00:00Z"), func(t *testing.T, e *env) {
		e.install(t, "icfg_f", "db_f", "pro")
		e.Sim.Enqueue(vercelsim.RouteSubmitInvoice, vercelsim.Fault{Status: 400,
			Body: `{"error":{"code":"bad_request","message":"billing account on hold"}}`})
		e.run(t, date("2027-02-01T01:05:00Z"))
		if n := len(e.Sim.Invoices("icfg_f")); n != 0 {
			t.Fatalf("invoices at Vercel = %d, want the refusal", n)
		}
		code, body := e.call(t, "GET", "/installations/icfg_f/billing/periods", "")
		periods, _ := body["periods"].([]any)
		if code != 200 || len(periods) != 1 {
			t.Fatalf("periods: %d %v", code, body)
		}
		p := periods[0].(map[string]any)
		refused := p["deliveryId"]
		if p["period"] != "2027-01" || p["status"] != "rejected" || p["requeueable"] != true || p["total"] != "20.00" ||
			!strings.Contains(fmt.Sprint(p["reason"]), "billing account on hold") || refused == "" {
			t.Fatalf("refused period = %v", p)
		}
		e.clk.Set(date("2027-02-15T12:00:00Z"))
		e.uninstall(t, "icfg_f")
		e.run(t, date("2027-02-15T13:00:00Z"))
		if e.Sim.Finalized("icfg_f") {
			t.Fatal("finalized while January's invoice stands refused")
		}

		if code, _ := e.call(t, "POST", "/installations/icfg_f/billing/periods/2027-13/retry", ""); code != 400 {
			t.Errorf("bad period: %d, want 400", code)
		}
		if code, _ := e.call(t, "POST", "/installations/icfg_f/billing/periods/2026-12/retry", ""); code != 404 {
			t.Errorf("period without an invoice: %d, want 404", code)
		}
		codes := make([]int, 4)
		answers := make([]map[string]any, 4)
		var wg sync.WaitGroup
		for i := range codes {
			wg.Go(func() {
				codes[i], answers[i] = e.call(t, "POST", "/installations/icfg_f/billing/periods/2027-01/retry", "")
			})
		}
		wg.Wait()
		won := 0
		for i, c := range codes {
			switch c {
			case 201:
				won++
				p := answers[i]["period"].(map[string]any)
				if p["status"] != "delivered" || p["requeues"] != 1.0 || p["previousDeliveryId"] != refused {
					t.Errorf("re-queued period = %v", p)
				}
			case 409:
			default:
				t.Errorf("re-queue: %d %v", c, answers[i])
			}
		}
		if won != 1 {
			t.Errorf("%d re-queues sent the invoice (codes %v), want 1", won, codes)
		}
		code, body = e.call(t, "POST", "/installations/icfg_f/billing/periods/2027-01/retry", "")
		if code != 409 || !strings.Contains(fmt.Sprint(body), "invoice_accepted") {
			t.Errorf("re-queue of an accepted invoice: %d %v, want 409 invoice_accepted", code, body)
		}
		if got := e.Sim.InvoicesForPeriod("icfg_f", month("2027-01-01T00:00:00Z")); len(got) != 1 || got[0].ExternalID != "icfg_f-2027-01" {
			t.Fatalf("January invoices = %s, want one", brief(got))
		}
		e.run(t, date("2027-02-15T14:00:00Z"))
		e.run(t, date("2027-02-15T15:00:00Z"))
		if !e.Sim.Finalized("icfg_f") {
			t.Error("not finalized once every invoice was accepted")
		}
		if n := len(e.Sim.Invoices("icfg_f")); n != 2 {
			t.Errorf("invoices = %d, want January and the final one", n)
		}
	})
}

// TestPrepaidBalanceNeverGoesBelowZero: a 95.10 balance meets 30,000.00 of
// usage (120,000k tokens at 0.25). The balance Vercel sees stops at 0, and
// the 29,904.90 it could not cover is invoiced after the period, once. On
// a plan that suspends instead, nothing is invoiced, the feed says so and
// the resource is suspended, once.
func TestPrepaidBalanceNeverGoesBelowZero(t *testing.T) {
	eachStore(t, date("2027-01-02T09:00:00Z"), func(t *testing.T, e *env) {
		e.install(t, "icfg_p", "db_bill", "credits")
		if _, err := e.App.Resources.PutResource(context.Background(), installations.Resource{ID: "db_stop", InstallationID: "icfg_p",
			ProductID: "db", Name: "db_stop", Status: "ready", BillingPlanID: "credits-stop"}); err != nil {
			t.Fatal(err)
		}
		e.Sim.SetResource("icfg_p", "db_stop", vercelsim.Resource{ProductID: "db", Name: "db_stop", BillingPlanID: "credits-stop"})
		for _, rid := range []string{"db_bill", "db_stop"} {
			if _, err := e.App.Balances.CreditInvoice(t.Context(), "icfg_p", "inv_"+rid, []installations.Credit{{ResourceID: rid, Cents: 9510}}); err != nil {
				t.Fatal(err)
			}
		}
		e.usage(t, "icfg_p",
			`{"id":"t1","resourceId":"db_bill","meter":"tokens","value":120000,"at":"2027-01-05T10:00:00Z"}`,
			`{"id":"t2","resourceId":"db_stop","meter":"tokens","value":120000,"at":"2027-01-05T10:00:00Z"}`)
		if run := e.run(t, date("2027-01-05T11:00:00Z")); fmt.Sprint(run["suspended"]) != "[db_stop]" {
			t.Errorf("the run suspended %v, want db_stop (its plan suspends when the balance runs out)", run["suspended"])
		}
		if run := e.run(t, date("2027-01-05T12:00:00Z")); fmt.Sprint(run["suspended"]) != "[]" {
			t.Errorf("the next run suspended %v again", run["suspended"])
		}
		if r, _ := e.Sim.Resource("icfg_p", "db_stop"); r.Status != "suspended" {
			t.Errorf("Vercel has db_stop %s, want suspended", r.Status)
		}
		for id, want := range map[string]string{"db_stop": "suspended", "db_bill": "ready"} {
			if r, _ := e.App.Resources.GetResource(t.Context(), "icfg_p", id); r.Status != want {
				t.Errorf("we have %s %s, want %s", id, r.Status, want)
			}
		}
		for _, b := range e.Sim.Balances("icfg_p") {
			if b.CurrencyValueInCents.String() != "0" {
				t.Errorf("balance of %s at Vercel = %s cents, want 0", b.ResourceID, b.CurrencyValueInCents)
			}
		}
		e.run(t, date("2027-02-01T01:05:00Z"))
		e.run(t, date("2027-02-01T02:00:00Z"))
		got := e.Sim.InvoicesForPeriod("icfg_p", month("2027-01-01T00:00:00Z"))
		if len(got) != 1 || got[0].Total != "29904.90" || !strings.Contains(string(got[0].Submitted), `"resourceId":"db_bill"`) ||
			strings.Contains(string(got[0].Submitted), "db_stop") {
			t.Fatalf("January invoices = %s, want one of 29904.90 for db_bill only", brief(got))
		}
		bal, err := e.App.Balances.Balances(t.Context(), "icfg_p")
		if err != nil || len(bal) != 2 || bal[0].Cents != 0 || bal[1].Cents != 0 {
			t.Errorf("balances = %+v %v, want both at 0", bal, err)
		}
		_, feed := e.call(t, "GET", "/events", "")
		var shortfalls []string
		for _, ev := range feed["events"].([]any) {
			ev := ev.(map[string]any)
			if ev["type"] == installations.EventPrepaidExhausted {
				d := ev["data"].(map[string]any)
				shortfalls = append(shortfalls, fmt.Sprint(d["resourceId"], " ", d["prepaidExhausted"], " ", d["uncovered"]))
			}
		}
		if want := "db_bill bill 29904.90,db_stop suspend 29904.90"; strings.Join(slices.Sorted(slices.Values(shortfalls)), ",") != want {
			t.Errorf("feed shortfalls = %v, want %s", shortfalls, want)
		}
	})
}

// brief names invoices by externalId, total and submitted items.
func brief(invs []vercelsim.Invoice) string {
	var b strings.Builder
	for _, inv := range invs {
		fmt.Fprintf(&b, "[%s %s %s] ", inv.ExternalID, inv.Total, inv.Items)
	}
	return cmp.Or(b.String(), "none")
}
