package main

import (
	"context"
	"net/http"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// TestKilledServerKeepsAcknowledgedWebhook runs the real binary, gets a
// webhook answered 200, kills the process with SIGKILL at once, starts it
// again on the same database and finds the event on the feed.
func TestKilledServerKeepsAcknowledgedWebhook(t *testing.T) {
	bin := serverBinary(t)
	sim, err := vercelsim.Start(vercelsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	const internal = "crash-test-internal-token-123456"
	env := append(childEnv(sim, internal), "PARTNER_DATABASE_DSN="+filepath.Join(t.TempDir(), "partner.db"))
	var logs lockedBuffer
	cmd, url := startChild(t, bin, env, &logs)
	ev := sim.CustomEvent("deployment.created", map[string]any{"deployment": map[string]any{"id": "dpl_crash"}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	status, err := sim.DeliverWebhook(ctx, url+"/webhooks/vercel", ev)
	if err != nil || status != http.StatusOK {
		t.Fatalf("deliver: %d %v", status, err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	_, url = startChild(t, bin, env, &logs)
	found := 0
	for _, e := range readFeed(t, url, internal) {
		if e.Data.VercelEventID == ev.ID && e.Type == "deployment.created" {
			found++
		}
	}
	if found != 1 {
		t.Errorf("the acknowledged event is %d times on the feed after the kill, want once\n%s", found, logs.String())
	}
}
