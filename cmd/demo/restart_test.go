package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/childtest"
)

// TestDemoKeepsItsStateAcrossRestarts runs the demo binary twice on one
// data directory: the second run shows the same installation and
// resources, and a write to Vercel is still accepted with the token
// stored by the first run.
func TestDemoKeepsItsStateAcrossRestarts(t *testing.T) {
	bin := childtest.Binary(t, ".")
	data := t.TempDir()
	first := runDemoChild(t, bin, data)
	ids := first.resourceIDs(t)
	first.stop(t)

	second := runDemoChild(t, bin, data)
	defer second.stop(t)
	if got := second.resourceIDs(t); strings.Join(got, ",") != strings.Join(ids, ",") {
		t.Fatalf("resources after restart %v, before %v", got, ids)
	}
	status, body := second.call(t, http.MethodPatch, "/installations/"+demoInstallation+"/resources/"+ids[0], `{"name":"after-restart"}`)
	if status != http.StatusOK || !strings.Contains(body, `"delivered"`) {
		t.Fatalf("rename after restart: %d %s", status, body)
	}
}

type demoChild struct {
	cmd         *exec.Cmd
	logs        *childtest.Output
	base, token string
	done        chan error
}

var (
	partnerLine = regexp.MustCompile(`Partner server:\s+(\S+)`)
	tokenLine   = regexp.MustCompile(`Authorization: Bearer (demo_\w+)`)
)

func runDemoChild(t *testing.T, bin, data string) *demoChild {
	t.Helper()
	c := &demoChild{logs: &childtest.Output{}, done: make(chan error, 1)}
	c.cmd = exec.Command(bin, "-addr", "127.0.0.1:0", "-vercel-addr", "127.0.0.1:0", "-data", data)
	c.cmd.Stdout, c.cmd.Stderr = c.logs, c.logs
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.done <- c.cmd.Wait() }()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		out := c.logs.String()
		if m, k := partnerLine.FindStringSubmatch(out), tokenLine.FindStringSubmatch(out); m != nil && k != nil {
			c.base, c.token = m[1], k[1]
			return c
		}
	}
	c.cmd.Process.Kill()
	t.Fatalf("the demo printed no URL:\n%s", c.logs.String())
	return nil
}

func (c *demoChild) call(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, c.base+"/internal/v1"+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func (c *demoChild) resourceIDs(t *testing.T) []string {
	t.Helper()
	status, body := c.call(t, http.MethodGet, "/installations/"+demoInstallation+"/resources", "")
	var out struct {
		Resources []struct{ ID string }
	}
	if err := json.Unmarshal([]byte(body), &out); status != http.StatusOK || err != nil || len(out.Resources) == 0 {
		t.Fatalf("resources: %d %s", status, body)
	}
	var ids []string
	for _, r := range out.Resources {
		ids = append(ids, r.ID)
	}
	return ids
}

// stop ends the child as Ctrl-C would and waits for a clean exit.
func (c *demoChild) stop(t *testing.T) {
	t.Helper()
	if c.cmd.ProcessState != nil {
		return
	}
	c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-c.done:
		if err != nil {
			t.Errorf("demo exit: %v\n%s", err, c.logs.String())
		}
	case <-time.After(20 * time.Second):
		c.cmd.Process.Kill()
		t.Fatal("the demo did not stop on SIGINT")
	}
}
