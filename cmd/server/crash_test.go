package main

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// TestKilledServerLosesNoDelivery runs the real binary, gets writes
// accepted (202) while Vercel is down, kills the process with SIGKILL,
// starts it again and sees every write delivered once, in order.
func TestKilledServerLosesNoDelivery(t *testing.T) {
	bin := serverBinary(t)
	sim, err := vercelsim.Start(vercelsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	const (
		inst     = "icfg_9bceb8ccT32d3U417ezb5c8p"
		res      = "db_crash"
		internal = "crash-test-internal-token-123456"
	)
	env := append(childEnv(sim, internal),
		"PARTNER_DATABASE_DSN="+filepath.Join(t.TempDir(), "partner.db"),
		"PARTNER_DELIVERIES_POLL_INTERVAL=50ms", "PARTNER_DELIVERIES_FIRST_ATTEMPT_TIMEOUT=1s",
	)
	var logs lockedBuffer
	cmd, url := startChild(t, bin, env, &logs)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := sim.Install(ctx, url, inst); err != nil {
		t.Fatal(err)
	}
	sim.SetResource(inst, res, vercelsim.Resource{ProductID: "postgres", Name: "crash"})
	sim.SetDown(true)
	var ids []string
	for _, v := range []string{"first", "second"} {
		status, body := internalCall(t, url, internal, "PUT", "/installations/"+inst+"/resources/"+res+"/secrets",
			`{"secrets":[{"name":"DATABASE_URL","value":"`+v+`"}]}`)
		d, _ := body["delivery"].(map[string]any)
		if status != http.StatusAccepted || d["status"] != "pending" {
			t.Fatalf("write %s: %d %v", v, status, body)
		}
		ids = append(ids, d["id"].(string))
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	sim.SetDown(false)

	_, url = startChild(t, bin, env, &logs)
	for _, id := range ids {
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			_, body := internalCall(t, url, internal, "GET", "/deliveries/"+id, "")
			d, _ := body["delivery"].(map[string]any)
			if d["status"] == "delivered" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("delivery %s not delivered after restart: %v\n%s", id, d, logs.String())
			}
		}
	}
	var delivered []string
	for _, r := range sim.RequestsTo(vercelsim.RouteUpdateSecretsByID) {
		if r.Status == http.StatusCreated {
			delivered = append(delivered, string(r.Body))
		}
	}
	if len(delivered) != 2 || !strings.Contains(delivered[0], "first") || !strings.Contains(delivered[1], "second") {
		t.Errorf("Vercel accepted %q, want first then second, once each", delivered)
	}
	if s := sim.Secrets(inst, res); len(s) != 1 || s[0].Value != "second" {
		t.Errorf("Vercel holds %v", s)
	}
	if strings.Contains(logs.String(), internal) {
		t.Error("the internal token appears in the logs")
	}
}
