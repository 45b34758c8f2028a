package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

const billingCrashConfig = `
products:
  - id: db
    name: Database
    plans:
      - id: pro
        type: subscription
        name: Pro
        description: Pro plan
        price: "20.00"
billing:
  allow_clock_override: true
`

// TestKilledServerSubmitsOneInvoice kills the real binary with SIGKILL
// while Vercel is still answering its invoice (a delayed submitInvoice),
// restarts it and runs the same billing cycle again: Vercel ends up with
// exactly one invoice for the period, and the delivery is delivered.
func TestKilledServerSubmitsOneInvoice(t *testing.T) {
	bin := serverBinary(t)
	sim, err := vercelsim.Start(vercelsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	const (
		inst     = "icfg_9bceb8ccT32d3U417ezb5c8p"
		internal = "crash-test-internal-token-123456"
	)
	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(billingCrashConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(childEnv(sim, internal),
		"PARTNER_DATABASE_DSN="+filepath.Join(t.TempDir(), "partner.db"),
		"PARTNER_DELIVERIES_POLL_INTERVAL=50ms", "PARTNER_DELIVERIES_FIRST_ATTEMPT_TIMEOUT=1s",
		"PARTNER_DELIVERIES_ATTEMPT_TIMEOUT=3s",
	)
	var logs lockedBuffer
	cmd, url := startChild(t, bin, env, &logs, "-config", cfgPath)
	if !strings.Contains(logs.String(), "allow_clock_override is on") {
		t.Errorf("no start-up warning about the clock override:\n%s", logs.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := sim.Install(ctx, url, inst); err != nil {
		t.Fatal(err)
	}
	if _, err := sim.ProvisionResource(ctx, url, inst, map[string]any{"productId": "db", "name": "crash", "billingPlanId": "pro"}); err != nil {
		t.Fatal(err)
	}
	// The month after this one, past the late-usage grace (1h): this month
	// has ended, its invoice is due.
	thisMonth := time.Now().UTC()
	periodStart := time.Date(thisMonth.Year(), thisMonth.Month(), 1, 0, 0, 0, 0, time.UTC)
	run := `{"now":"` + periodStart.AddDate(0, 1, 0).Add(time.Hour+10*time.Minute).Format(time.RFC3339) + `"}`
	sim.Enqueue(vercelsim.RouteSubmitInvoice, vercelsim.Fault{Delay: 2500 * time.Millisecond})
	status, body := internalCall(t, url, internal, "POST", "/billing/run", run)
	ids, _ := body["deliveries"].(map[string]any)["invoices"].([]any)
	if status != http.StatusOK || len(ids) != 1 {
		t.Fatalf("billing run: %d %v, want one invoice queued", status, body)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil { // Vercel has not answered yet
		t.Fatal(err)
	}
	cmd.Wait()

	_, url = startChild(t, bin, env, &logs, "-config", cfgPath)
	status, body = internalCall(t, url, internal, "POST", "/billing/run", run)
	if again, _ := body["deliveries"].(map[string]any)["invoices"].([]any); status != http.StatusOK || len(again) != 0 {
		t.Fatalf("billing run after restart: %d %v, want no invoice queued", status, body)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		_, body := internalCall(t, url, internal, "GET", "/deliveries/"+ids[0].(string), "")
		d, _ := body["delivery"].(map[string]any)
		if d["status"] == "delivered" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("invoice delivery not delivered after restart: %v\n%s", d, logs.String())
		}
	}
	period := vercelsim.Period{Start: periodStart.Format(time.RFC3339), End: periodStart.AddDate(0, 1, 0).Format(time.RFC3339)}
	if got := sim.InvoicesForPeriod(inst, period); len(got) != 1 || got[0].Total != "20.00" {
		t.Errorf("invoices at Vercel: %+v, want exactly one of 20.00", got)
	}
}
