package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/childtest"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

func TestMain(m *testing.M) { childtest.Main(m) }

// serverBinary returns the path of the server binary, built once per test
// run and shared by every test that runs it as a child process; under
// -short it skips the test.
func serverBinary(t *testing.T) string { return childtest.Binary(t, ".") }

// lockedBuffer collects a child's output safely.
type lockedBuffer = childtest.Output

// childEnv is the environment every child needs: Vercel is sim, and
// token opens the internal API.
func childEnv(sim *vercelsim.Sim, token string) []string {
	return []string{
		"PARTNER_VERCEL_API_URL=" + sim.URL(), "PARTNER_VERCEL_ISSUER=" + sim.Issuer(),
		"PARTNER_VERCEL_JWKS_URL=" + sim.JWKSURL(), "PARTNER_VERCEL_CLIENT_ID=" + sim.ClientID(),
		"PARTNER_VERCEL_CLIENT_SECRET=" + sim.ClientSecret(),
		"PARTNER_ENCRYPTION_KEY=" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32)),
		"PARTNER_INTERNAL_API_TOKENS=" + token,
	}
}

// freeAddr returns a loopback address nothing listens on at the moment.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startChild runs bin with args on a free address, writing its output to
// logs, waits for /healthz and returns the process and its base URL. The
// process is killed when the test ends.
func startChild(t *testing.T, bin string, env []string, logs *lockedBuffer, args ...string) (*exec.Cmd, string) {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(bin, args...)
	// A copy: replicas start concurrently from one env.
	cmd.Env = append(slices.Clone(env), "PARTNER_LISTEN="+addr)
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

// internalCall sends one internal API request and decodes the JSON answer.
func internalCall(t *testing.T, url, token, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url+"/internal/v1"+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
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

// feedEvent is the part of an event on the feed the tests look at.
type feedEvent struct {
	Type string
	Data struct{ VercelEventID string }
}

// readFeed returns the first 1000 events on the feed at url.
func readFeed(t *testing.T, url, token string) []feedEvent {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url+"/internal/v1/events?after=0&limit=1000", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var feed struct{ Events []feedEvent }
	if err := json.NewDecoder(res.Body).Decode(&feed); err != nil {
		t.Fatal(err)
	}
	return feed.Events
}
