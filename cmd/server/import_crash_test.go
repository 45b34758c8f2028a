package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// TestKilledServerStillImportsAndDeletes: the partner's import of one
// resource and deletion of another are accepted (202) while Vercel is
// down; the server is killed with SIGKILL before either is delivered.
// After a restart both reach Vercel, our copy of the deleted one goes, and
// the imported secret value is on disk in plain text at no point.
func TestKilledServerStillImportsAndDeletes(t *testing.T) {
	bin := serverBinary(t)
	sim, err := vercelsim.Start(vercelsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	const (
		inst     = "icfg_9bceb8ccT32d3U417ezb5c9q"
		internal = "crash-test-internal-token-123456"
		secret   = "postgres://imported:Pl41nT3xtSecret@db.partner.example/app"
	)
	dbPath := filepath.Join(t.TempDir(), "partner.db")
	env := append(childEnv(sim, internal), "PARTNER_DATABASE_DSN="+dbPath,
		"PARTNER_DELIVERIES_POLL_INTERVAL=50ms", "PARTNER_DELIVERIES_FIRST_ATTEMPT_TIMEOUT=1s",
		`PARTNER_PRODUCTS=[{"id":"postgres","name":"Postgres","plans":[{"id":"hobby","type":"subscription","name":"Hobby","description":"Free","payment_method_required":false}]}]`)
	var logs lockedBuffer
	cmd, url := startChild(t, bin, env, &logs)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := sim.Install(ctx, url, inst); err != nil {
		t.Fatal(err)
	}
	put := func(rid, body string) (int, map[string]any) {
		return internalCall(t, url, internal, "PUT", "/installations/"+inst+"/resources/"+rid, body)
	}
	if status, body := put("pg_old", `{"productId":"postgres","name":"old","ownership":"linked"}`); status != http.StatusOK {
		t.Fatalf("first import: %d %v", status, body)
	}
	sim.SetDown(true)
	status, body := put("pg_new", `{"productId":"postgres","name":"new","billingPlanId":"hobby","ownership":"linked",
		"secrets":[{"name":"DATABASE_URL","value":"`+secret+`"}]}`)
	imported := pendingID(t, "import", status, body)
	status, body = internalCall(t, url, internal, "DELETE", "/installations/"+inst+"/resources/pg_old", "")
	deleted := pendingID(t, "delete", status, body)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	sim.SetDown(false)

	_, url = startChild(t, bin, env, &logs)
	for _, id := range []string{imported, deleted} {
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			_, body := internalCall(t, url, internal, "GET", "/deliveries/"+id, "")
			if d, _ := body["delivery"].(map[string]any); d["status"] == "delivered" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("delivery %s not delivered after restart: %v\n%s", id, body, logs.String())
			}
		}
	}
	if r, ok := sim.Resource(inst, "pg_new"); !ok || r.Ownership != "linked" || len(r.Secrets) != 1 || r.Secrets[0].Value != secret {
		t.Errorf("Vercel's copy of the import: %+v %v", r, ok)
	}
	if _, ok := sim.Resource(inst, "pg_old"); ok {
		t.Error("Vercel still has the deleted resource")
	}
	if status, _ := internalCall(t, url, internal, "GET", "/installations/"+inst+"/resources/pg_old", ""); status != http.StatusNotFound {
		t.Errorf("our copy of the deleted resource: %d, want 404", status)
	}
	files, _ := filepath.Glob(dbPath + "*")
	for _, f := range files {
		if data, err := os.ReadFile(f); err == nil && bytes.Contains(data, []byte("Pl41nT3xtSecret")) {
			t.Errorf("%s holds the secret value in plain text", filepath.Base(f))
		}
	}
}

// pendingID is the delivery id of a write accepted while Vercel is down.
func pendingID(t *testing.T, what string, status int, body map[string]any) string {
	t.Helper()
	d, _ := body["delivery"].(map[string]any)
	if status != http.StatusAccepted || d["status"] != "pending" {
		t.Fatalf("%s while Vercel is down: %d %v, want 202 pending", what, status, body)
	}
	return d["id"].(string)
}
