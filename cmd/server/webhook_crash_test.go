package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"os/exec"
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
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	bin := filepath.Join(t.TempDir(), "server")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	sim, err := vercelsim.Start(vercelsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	const internal = "crash-test-internal-token-123456"
	env := []string{
		"PARTNER_VERCEL_API_URL=" + sim.URL(), "PARTNER_VERCEL_ISSUER=" + sim.Issuer(),
		"PARTNER_VERCEL_JWKS_URL=" + sim.JWKSURL(), "PARTNER_VERCEL_CLIENT_ID=" + sim.ClientID(),
		"PARTNER_VERCEL_CLIENT_SECRET=" + sim.ClientSecret(),
		"PARTNER_ENCRYPTION_KEY=" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32)),
		"PARTNER_DATABASE_DSN=" + filepath.Join(t.TempDir(), "partner.db"),
		"PARTNER_INTERNAL_API_TOKENS=" + internal,
	}
	var logs lockedBuffer
	cmd, url := startServer(t, bin, env, &logs)
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

	_, url = startServer(t, bin, env, &logs)
	req, _ := http.NewRequest(http.MethodGet, url+"/internal/v1/events?after=0&limit=1000", nil)
	req.Header.Set("Authorization", "Bearer "+internal)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var feed struct {
		Events []struct {
			Type string
			Data struct{ VercelEventID string }
		}
	}
	if err := json.NewDecoder(res.Body).Decode(&feed); err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, e := range feed.Events {
		if e.Data.VercelEventID == ev.ID && e.Type == "deployment.created" {
			found++
		}
	}
	if found != 1 {
		t.Errorf("the acknowledged event is %d times on the feed after the kill, want once\n%s", found, logs.String())
	}
}

// startServer runs bin on a free port and waits for /healthz.
func startServer(t *testing.T, bin string, env []string, logs *lockedBuffer) (*exec.Cmd, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin)
	cmd.Env = append(env, "PARTNER_LISTEN="+addr)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	url := "http://" + addr
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if res, err := http.Get(url + "/healthz"); err == nil {
			res.Body.Close()
			return cmd, url
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start:\n%s", logs.String())
		}
	}
}
