package autopilot_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/app/apptest"
	"github.com/vercel-partner/partner-server/internal/config"
	"github.com/vercel-partner/partner-server/internal/db/dbtest"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// TestTwoMonthsOfUsageMakeOneInvoicePerMonth reports usage over January
// and February 2027 and runs the autopilot hourly around each month's end.
//
// January, resource db_1 on plan pro (20.00 flat; storage: total, 0.10/GB,
// 10 GB included; queries: interval, 0.002 per 1k):
//
//	flat fee                                    1 x 20.00   = 20.00
//	storage  latest of 12.5, 42.5 = 42.5 GB; 42.5 - 10 = 32.5 x 0.10 = 3.25
//	queries  1000.5 + 2000 + 2 = 3002.5;  3002.5 x 0.002 = 6.005  -> 6.01 (half-up)
//	                                                    total 29.26
//
// February: storage 5 GB (under the 10 included: 0.00), queries 500 x
// 0.002 = 1.00, flat 20.00: total 21.00.
func TestTwoMonthsOfUsageMakeOneInvoicePerMonth(t *testing.T) {
	e := newEnv(t, date("2027-01-02T09:00:00Z"))
	e.install(t, "icfg_a", "db_1", "pro")
	e.usage(t, "icfg_a",
		`{"id":"s1","resourceId":"db_1","meter":"storage","value":12.5,"at":"2027-01-03T10:00:00Z"}`,
		`{"id":"q1","resourceId":"db_1","meter":"queries","value":1000.5,"at":"2027-01-05T10:00:00Z"}`,
		`{"id":"s2","resourceId":"db_1","meter":"storage","value":42.5,"at":"2027-01-20T10:00:00Z"}`,
		`{"id":"q2","resourceId":"db_1","meter":"queries","value":2000,"at":"2027-01-31T22:30:00Z"}`,
		`{"id":"q3","resourceId":"db_1","meter":"queries","value":2,"at":"2027-01-31T23:59:00Z"}`)
	jan, feb := month("2027-01-01T00:00:00Z"), month("2027-02-01T00:00:00Z")
	for h := range 6 { // 22:00 on the 31st to 03:00 on February 1st
		e.run(t, date("2027-01-31T22:00:00Z").Add(time.Duration(h)*time.Hour))
	}
	invoices := e.Sim.InvoicesForPeriod("icfg_a", jan)
	if len(invoices) != 1 || invoices[0].Total != "29.26" || invoices[0].ExternalID != "icfg_a-2027-01" || invoices[0].Final {
		t.Fatalf("January invoices = %+v, want one of 29.26", invoices)
	}
	for _, want := range []string{`"quantity":32.5,`, `"quantity":3002.5,`, `"total":"6.01"`, `"externalId":"icfg_a-2027-01"`,
		`"invoiceDate":"2027-01-31T12:00:00.000Z"`, `"details":"42.5 GB used, 10 included"`,
		`"resourceId":"db_1","name":"Pro plan · db_1"`, `"resourceId":"db_1","name":"queries · db_1"`} {
		if !strings.Contains(string(invoices[0].Submitted), want) {
			t.Errorf("January invoice %s lacks %s", invoices[0].Submitted, want)
		}
	}
	// The last interim data of January went out once after its end, with
	// the whole month (q3 came in the last minute).
	day := e.Sim.BillingByDay("icfg_a")["2027-01-31"]
	var last struct {
		Usage []struct {
			Name        string
			PeriodValue json.Number
		}
	}
	if err := json.Unmarshal(day, &last); err != nil || len(last.Usage) != 2 || last.Usage[1].PeriodValue != "3002.5" {
		t.Fatalf("January 31st billing data = %s, want queries 3002.5", day)
	}

	e.usage(t, "icfg_a",
		`{"id":"s3","resourceId":"db_1","meter":"storage","value":5,"at":"2027-02-10T10:00:00Z"}`,
		`{"id":"q4","resourceId":"db_1","meter":"queries","value":500,"at":"2027-02-11T10:00:00Z"}`)
	e.run(t, date("2027-02-28T23:00:00Z"))
	e.run(t, date("2027-03-01T00:05:00Z")) // in the late-usage grace: no invoice yet
	if got := e.Sim.InvoicesForPeriod("icfg_a", feb); len(got) != 0 {
		t.Fatalf("February invoiced during its grace: %+v", got)
	}
	e.run(t, date("2027-03-01T01:05:00Z"))
	e.run(t, date("2027-03-01T02:00:00Z")) // a repeat
	if got := e.Sim.InvoicesForPeriod("icfg_a", feb); len(got) != 1 || got[0].Total != "21.00" {
		t.Fatalf("February invoices = %+v, want one of 21.00", got)
	}
	if n := len(e.Sim.InvoicesForPeriod("icfg_a", jan)); n != 1 {
		t.Errorf("January invoices after March runs = %d, want 1", n)
	}
	if n := len(e.Sim.Invoices("icfg_a")); n != 2 {
		t.Errorf("invoices at Vercel = %d, want 2", n)
	}
	// Not even a refused duplicate: exactly one submission per month.
	if n := len(e.Sim.RequestsTo(vercelsim.RouteSubmitInvoice)); n != 2 {
		t.Errorf("submitInvoice calls = %d, want 2", n)
	}
}

// TestUninstallMidMonthInvoicesFinallyThenFinalizes uninstalls on
// February 15th: January is invoiced (20.00 flat), then the partial
// February with final: true (20.00 + 1000 x 0.002 = 22.00), then the
// installation is finalized and takes no more usage.
func TestUninstallMidMonthInvoicesFinallyThenFinalizes(t *testing.T) {
	e := newEnv(t, date("2027-01-10T09:00:00Z"))
	e.install(t, "icfg_b", "db_2", "pro")
	e.usage(t, "icfg_b", `{"id":"q1","resourceId":"db_2","meter":"queries","value":1000,"at":"2027-02-03T10:00:00Z"}`)
	e.clk.Set(date("2027-02-15T12:00:00Z"))
	e.uninstall(t, "icfg_b")
	rep := e.run(t, date("2027-02-15T13:00:00Z"))
	if n := len(e.Sim.InvoicesForPeriod("icfg_b", month("2027-01-01T00:00:00Z"))); n != 1 {
		t.Errorf("January invoices = %d, want 1", n)
	}
	var final *vercelsim.Invoice
	for _, inv := range e.Sim.Invoices("icfg_b") {
		if inv.Final {
			final = &inv
		}
	}
	if final == nil || final.Total != "22.00" || final.Period.End != "2027-02-15T13:00:00.000Z" {
		t.Fatalf("final invoice = %+v (run %v), want 22.00 for Feb 1 to the run", final, rep)
	}
	e.run(t, date("2027-02-15T14:00:00Z")) // finalization, if the first run's invoice was still pending
	if !e.Sim.Finalized("icfg_b") {
		t.Fatal("not finalized at Vercel")
	}
	waitStatus(t, e, "icfg_b", installations.StatusDeleted)
	code, body := e.call(t, "POST", "/installations/icfg_b/usage",
		`{"records":[{"id":"q2","resourceId":"db_2","meter":"queries","value":1,"at":"2027-02-15T14:00:00Z"}]}`)
	if code != 409 {
		t.Errorf("usage after finalization: %d %v, want 409", code, body)
	}
	e.run(t, date("2027-02-15T15:00:00Z"))
	if n := len(e.Sim.Invoices("icfg_b")); n != 2 {
		t.Errorf("invoices = %d, want 2", n)
	}
}

// TestConcurrentRunsMakeOneInvoice runs the first cycles after a month's
// end (and its late-usage grace) six at a time, as replicas would: each installation's invoice run
// is claimed in the transaction that queues it, so only one is sent.
func TestConcurrentRunsMakeOneInvoice(t *testing.T) {
	e := newEnv(t, date("2027-01-02T09:00:00Z"))
	ids := []string{"icfg_c1", "icfg_c2", "icfg_c3", "icfg_c4", "icfg_c5"}
	for _, id := range ids {
		e.install(t, id, "db_"+id, "pro")
	}
	runs := make([]map[string]any, 6)
	codes := make([]int, 6)
	e.clk.Set(date("2027-02-01T01:05:00Z"))
	var wg sync.WaitGroup
	for i := range runs {
		wg.Go(func() { codes[i], runs[i] = e.call(t, "POST", "/billing/run", `{"now":"2027-02-01T01:05:00Z"}`) })
	}
	wg.Wait()
	for i, run := range runs {
		if codes[i] != 200 {
			t.Fatalf("run: %d %v", codes[i], run)
		}
		e.settle(t, run)
	}
	for _, id := range ids {
		if got := e.Sim.InvoicesForPeriod(id, month("2027-01-01T00:00:00Z")); len(got) != 1 || got[0].Total != "20.00" {
			t.Errorf("%s: January invoices %+v, want one of 20.00", id, got)
		}
	}
	if n := len(e.Sim.RequestsTo(vercelsim.RouteSubmitInvoice)); n != len(ids) {
		t.Errorf("submitInvoice calls = %d, want %d", n, len(ids))
	}
}

func waitStatus(t *testing.T, e *env, id, status string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		in, err := e.App.Installations.Get(t.Context(), id)
		if err == nil && in.Status == status {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("installation %s: %+v %v, want status %s", id, in, err, status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPrepaidUsageDrawsTheBalanceOnce: tokens at 0.25 per 1k draw a 10.00
// balance: 10k tokens take 2.50 (7.50 left); a second run draws nothing
// more; 2k more make the period's 3.00 (7.00 left). No invoice is sent.
func TestPrepaidUsageDrawsTheBalanceOnce(t *testing.T) {
	e := newEnv(t, date("2027-01-02T09:00:00Z"))
	e.install(t, "icfg_p", "db_p", "credits")
	if _, err := e.App.Balances.CreditInvoice(t.Context(), "icfg_p", "inv_buy", []installations.Credit{{ResourceID: "db_p", Cents: 1000}}); err != nil {
		t.Fatal(err)
	}
	balance := func() string {
		b := e.Sim.Balances("icfg_p")
		if len(b) != 1 || b[0].ResourceID != "db_p" {
			t.Fatalf("balances at Vercel = %+v", b)
		}
		return b[0].CurrencyValueInCents.String()
	}
	e.usage(t, "icfg_p", `{"id":"t1","resourceId":"db_p","meter":"tokens","value":10,"at":"2027-01-05T10:00:00Z"}`)
	e.run(t, date("2027-01-05T11:00:00Z"))
	e.run(t, date("2027-01-05T12:00:00Z"))
	if got := balance(); got != "750" {
		t.Errorf("balance after two runs = %s cents, want 750", got)
	}
	e.usage(t, "icfg_p", `{"id":"t2","resourceId":"db_p","meter":"tokens","value":2,"at":"2027-01-05T12:30:00Z"}`)
	e.run(t, date("2027-01-05T13:00:00Z"))
	if got := balance(); got != "700" {
		t.Errorf("balance = %s cents, want 700", got)
	}
	e.run(t, date("2027-02-01T00:30:00Z"))
	if n := len(e.Sim.Invoices("icfg_p")); n != 0 {
		t.Errorf("invoices for a prepaid plan = %d, want 0", n)
	}
}

// TestTwoReplicasMakeOneInvoice runs two servers on one PostgreSQL
// database, as replicas do, and starts the first cycle after a month's end
// on both at once: each installation gets one invoice.
func TestTwoReplicasMakeOneInvoice(t *testing.T) {
	dsn := dbtest.PostgresDSN(t)
	clk := &clock{now: date("2027-01-02T09:00:00Z")}
	sim, err := vercelsim.Start(vercelsim.Options{Now: clk.sim})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	replica := func() *env {
		return &env{clk: clk, Env: apptest.New(t, apptest.Options{Sim: sim, Catalog: proCatalog, Deliveries: &fast, Now: clk.Now,
			Driver: "postgres", DSN: dsn, EncryptionKey: key, Config: func(c *config.Config) { c.Billing.AllowClockOverride = true }})}
	}
	a, b := replica(), replica()
	clk.fake.Store(true)
	ids := []string{"icfg_r1", "icfg_r2", "icfg_r3"}
	for _, id := range ids {
		a.install(t, id, "db_"+id, "pro")
	}
	clk.Set(date("2027-02-01T01:05:00Z"))
	var runs [4]map[string]any
	var wg sync.WaitGroup
	for i := range runs {
		wg.Go(func() {
			e := []*env{a, b}[i%2]
			_, runs[i] = e.call(t, "POST", "/billing/run", `{"now":"2027-02-01T01:05:00Z"}`)
		})
	}
	wg.Wait()
	for _, run := range runs {
		a.settle(t, run)
	}
	for _, id := range ids {
		if got := sim.InvoicesForPeriod(id, month("2027-01-01T00:00:00Z")); len(got) != 1 {
			t.Errorf("%s: %d January invoices, want 1", id, len(got))
		}
	}
	if n := len(sim.RequestsTo(vercelsim.RouteSubmitInvoice)); n != len(ids) {
		t.Errorf("submitInvoice calls = %d, want %d", n, len(ids))
	}
}

// TestUninstallWithNothingToInvoiceFinalizesAtOnce: a prepaid plan whose
// balance covers its usage invoices nothing, so the first run after the
// uninstall finalizes.
func TestUninstallWithNothingToInvoiceFinalizesAtOnce(t *testing.T) {
	e := newEnv(t, date("2027-01-10T09:00:00Z"))
	e.install(t, "icfg_z", "db_z", "credits")
	if _, err := e.App.Balances.CreditInvoice(t.Context(), "icfg_z", "inv_buy", []installations.Credit{{ResourceID: "db_z", Cents: 500}}); err != nil {
		t.Fatal(err)
	}
	e.usage(t, "icfg_z", `{"id":"t1","resourceId":"db_z","meter":"tokens","value":4,"at":"2027-01-11T10:00:00Z"}`)
	e.clk.Set(date("2027-01-12T12:00:00Z"))
	e.uninstall(t, "icfg_z")
	rep := e.run(t, date("2027-01-12T13:00:00Z"))
	if counts := rep["counts"].(map[string]any); counts["invoices"] != 0.0 || counts["finalizations"] != 1.0 {
		t.Fatalf("run = %v, want no invoice and one finalization", rep)
	}
	waitStatus(t, e, "icfg_z", installations.StatusDeleted)
	if !e.Sim.Finalized("icfg_z") || len(e.Sim.Invoices("icfg_z")) != 0 {
		t.Errorf("finalized %v, invoices %d; want finalized with none", e.Sim.Finalized("icfg_z"), len(e.Sim.Invoices("icfg_z")))
	}
}
