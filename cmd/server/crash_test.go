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
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// lockedBuffer collects a child's output safely.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestKilledServerLosesNoDelivery runs the real binary, gets writes
// accepted (202) while Vercel is down, kills the process with SIGKILL,
// starts it again and sees every write delivered once, in order.
func TestKilledServerLosesNoDelivery(t *testing.T) {
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
	const (
		inst     = "icfg_9bceb8ccT32d3U417ezb5c8p"
		res      = "db_crash"
		internal = "crash-test-internal-token-123456"
	)
	env := []string{
		"PARTNER_VERCEL_API_URL=" + sim.URL(), "PARTNER_VERCEL_ISSUER=" + sim.Issuer(),
		"PARTNER_VERCEL_JWKS_URL=" + sim.JWKSURL(), "PARTNER_VERCEL_CLIENT_ID=" + sim.ClientID(),
		"PARTNER_VERCEL_CLIENT_SECRET=" + sim.ClientSecret(),
		"PARTNER_ENCRYPTION_KEY=" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32)),
		"PARTNER_DATABASE_DSN=" + filepath.Join(t.TempDir(), "partner.db"),
		"PARTNER_INTERNAL_API_TOKENS=" + internal,
		"PARTNER_DELIVERIES_POLL_INTERVAL=50ms", "PARTNER_DELIVERIES_FIRST_ATTEMPT_TIMEOUT=1s",
	}
	var logs lockedBuffer
	start := func() (*exec.Cmd, string) {
		t.Helper()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		cmd := exec.Command(bin)
		cmd.Env = append(env, "PARTNER_LISTEN="+addr)
		cmd.Stdout, cmd.Stderr = &logs, &logs
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
	call := func(url, method, path, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, url+"/internal/v1"+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+internal)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}

	cmd, url := start()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := sim.Install(ctx, url, inst); err != nil {
		t.Fatal(err)
	}
	sim.SetResource(inst, res, vercelsim.Resource{ProductID: "postgres", Name: "crash"})
	sim.SetDown(true)
	var ids []string
	for _, v := range []string{"first", "second"} {
		status, body := call(url, "PUT", "/installations/"+inst+"/resources/"+res+"/secrets",
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

	_, url = start()
	for _, id := range ids {
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			_, body := call(url, "GET", "/deliveries/"+id, "")
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
