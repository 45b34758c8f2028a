package autopilot_test

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/app/apptest"
	"github.com/vercel-partner/partner-server/internal/billing"
	"github.com/vercel-partner/partner-server/internal/db/dbtest"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/money"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

var benchCatalog = installations.Catalog{{ID: "db", Name: "Database", Plans: []installations.BillingPlan{{
	ID: "pro", Type: "subscription", Name: "Pro", Description: "Pro plan", Price: "20.00",
	Meters: []installations.Meter{
		{Name: "storage", Units: "GB", Type: "total", Price: "0.10", Included: "10"},
		{Name: "queries", Units: "1k queries", Type: "interval", Price: "0.002"},
		{Name: "connections", Units: "connections", Type: "rate", Price: "0.01"},
	},
}}}}

// BenchmarkCycle times one billing cycle (interim data for every
// installation, through the queue to the simulator) over
// PARTNER_BENCH_INSTALLATIONS installations (default 10,000), each with
// one resource and one record per meter, on SQLite, or with
// PARTNER_BENCH_POSTGRES=1 on a fresh schema of PARTNER_TEST_POSTGRES_DSN.
// ns/op is the cycle (every write recorded); delivered-s is the time
// until the worker has delivered every one of them to the simulator; the
// cpu-s figures are the process's CPU time for each (steadier than time
// on a shared machine; the simulator is in the process, the database is
// too on SQLite). With
// PARTNER_BENCH_NO_WORKER set, the delivery worker stays stopped, so the
// figure is the cycle's own work (queuing) only.
func BenchmarkCycle(b *testing.B) {
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("PARTNER_BENCH_INSTALLATIONS")); err == nil && v > 0 {
		n = v
	}
	now := time.Date(2027, 1, 20, 12, 0, 0, 0, time.UTC)
	clk := &clock{now: now}
	sim, err := vercelsim.Start(vercelsim.Options{Now: clk.Now})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(sim.Close)
	noWorker := os.Getenv("PARTNER_BENCH_NO_WORKER") != ""
	opts := apptest.Options{Sim: sim, Catalog: benchCatalog, Deliveries: &fast, Now: clk.Now, NoWorker: noWorker}
	if os.Getenv("PARTNER_BENCH_POSTGRES") != "" {
		opts.Driver, opts.DSN = "postgres", dbtest.PostgresDSN(b)
	}
	e := apptest.New(b, opts)
	ctx := b.Context()
	for i := range n {
		id := fmt.Sprintf("icfg_bench%06d", i)
		sim.RegisterInstallation(id, "tok_"+id)
		if _, err := e.App.Installations.Upsert(ctx, installations.Upsert{ID: id, Account: installations.Account{URL: "https://vercel.com/x", ContactEmail: "a@x.dev"},
			Credentials: installations.Credentials{AccessToken: "tok_" + id, TokenType: "Bearer"}}); err != nil {
			b.Fatal(err)
		}
		if _, err := e.App.Resources.PutResource(ctx, installations.Resource{ID: "db_1", InstallationID: id, ProductID: "db",
			Name: "db", Status: "ready", BillingPlanID: "pro"}); err != nil {
			b.Fatal(err)
		}
		var recs []billing.Record
		for j, m := range []string{"storage", "queries", "connections"} {
			recs = append(recs, billing.Record{ID: fmt.Sprint("r", j), ResourceID: "db_1", Meter: m, Value: money.FromInt(int64(j + 40)), At: now.Add(-time.Hour)})
		}
		if _, err := e.App.Billing.AddUsage(ctx, id, recs); err != nil {
			b.Fatal(err)
		}
	}
	var delivered, cycleCPU, deliveredCPU time.Duration
	b.ResetTimer()
	for b.Loop() {
		begin, cpu := time.Now(), processCPU()
		rep, err := e.App.Autopilot.Cycle(ctx, now)
		if err != nil || rep.Failed > 0 || len(rep.BillingData) != n {
			b.Fatalf("cycle: %d billing data, %d failed, %v", len(rep.BillingData), rep.Failed, err)
		}
		cycleCPU += processCPU() - cpu
		if !noWorker {
			b.StopTimer()
			awaitDelivered(b, e, rep.BillingData)
			delivered += time.Since(begin)
			deliveredCPU += processCPU() - cpu
			b.StartTimer()
		}
	}
	b.ReportMetric(float64(n), "installations")
	b.ReportMetric(cycleCPU.Seconds()/float64(b.N), "cpu-s")
	if !noWorker {
		b.ReportMetric(delivered.Seconds()/float64(b.N), "delivered-s")
		b.ReportMetric(deliveredCPU.Seconds()/float64(b.N), "delivered-cpu-s")
	}
}

// processCPU is the CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// awaitDelivered waits until every one of ids is delivered.
func awaitDelivered(b *testing.B, e *apptest.Env, ids []string) {
	deadline := time.Now().Add(5 * time.Minute)
	for _, id := range ids {
		for {
			d, err := e.App.Deliveries.Get(b.Context(), id)
			if err != nil {
				b.Fatal(err)
			}
			if d.Status == deliveries.StatusDelivered {
				break
			}
			if d.Final() || time.Now().After(deadline) {
				b.Fatalf("delivery %s: %s %s", id, d.Status, d.LastError)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}
