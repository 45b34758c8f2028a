package deployments_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/db/dbtest"
	"github.com/vercel-partner/partner-server/internal/deployments"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// TestTwoReplicasCallTheHookOneAtATimeAndReportOnce: two servers on one
// PostgreSQL database retry a failing hook; every attempt of the start
// carries the same webhook-id, no two overlap, and at the timeout Vercel
// is told failed once.
func TestTwoReplicasCallTheHookOneAtATimeAndReportOnce(t *testing.T) {
	t.Parallel()
	dsn := dbtest.PostgresDSN(t)
	sim, err := vercelsim.Start(vercelsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	hook := newHook(t)
	hook.set(func(deployments.Request) (int, string) {
		time.Sleep(30 * time.Millisecond) // long enough for a second replica to try the same call
		return http.StatusServiceUnavailable, ""
	})
	a := newEnv(t, envOpts{hook: true, shared: hook, sim: sim, dsn: dsn, timeout: 3 * time.Second})
	newEnv(t, envOpts{hook: true, shared: hook, sim: sim, dsn: dsn, timeout: 3 * time.Second})
	d := a.deploy(t, vercelsim.DeployOptions{NoCheckRun: true})
	waitFor(t, "failed at Vercel", func() bool { return len(statuses(sim, d.ID)) > 0 })
	time.Sleep(500 * time.Millisecond) // a second report would have been made by now
	if got := statuses(sim, d.ID); !slices.Equal(got, []string{"failed"}) {
		t.Errorf("Vercel took %v, want one failed", got)
	}
	calls := hook.received(deployments.TypeAction)
	if len(calls) < 2 {
		t.Fatalf("%d hook calls, want retries", len(calls))
	}
	for _, c := range calls {
		if c.WebhookID != calls[0].WebhookID {
			t.Errorf("webhook-ids %q and %q for one start: it must stay the same", calls[0].WebhookID, c.WebhookID)
		}
	}
	hook.mu.Lock()
	defer hook.mu.Unlock()
	if hook.overlap {
		t.Error("two replicas called the hook for the same call at once")
	}
}
