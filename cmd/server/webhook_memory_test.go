package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// peakRSSLimit bounds the server's peak resident memory under the flood
// below. The server idles near 30 MB; the webhook receiver holds at most
// its fixed number of bodies (32 of 1 MB) at once, so 150 MB leaves room
// for the runtime and the connections while staying far below what an
// unbounded receiver reaches (several hundred MB).
const peakRSSLimit = 150 << 20

// TestUnsignedWebhookFloodKeepsMemoryBounded runs the built server binary
// and sends 400 concurrent unsigned 1 MB webhook posts. Every post is
// refused (401, or 503 with Retry-After once the receiver is full), and
// the child's peak RSS (VmHWM) stays under a fixed bound.
func TestUnsignedWebhookFloodKeepsMemoryBounded(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads the child's peak RSS from /proc")
	}
	bin := serverBinary(t)
	sim, err := vercelsim.Start(vercelsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	env := append(childEnv(sim, "memory-test-internal-token-1234"),
		"PARTNER_DATABASE_DSN="+filepath.Join(t.TempDir(), "partner.db"), "PARTNER_LOG_LEVEL=warn")
	var logs lockedBuffer
	cmd, url := startChild(t, bin, env, &logs)
	pid := cmd.Process.Pid
	idle := procStatus(t, pid, "VmRSS")

	const posts = 400
	body := megabyteEvent()
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: posts}}
	defer client.CloseIdleConnections()
	statuses := make([]int, posts)
	retryAfter := make([]string, posts)
	g := newGate(posts, 5*time.Second)
	var wg sync.WaitGroup
	for i := range posts {
		wg.Go(func() {
			statuses[i], retryAfter[i] = postUnsigned(client, url+"/webhooks/vercel", g.body(body), len(body))
		})
	}
	wg.Wait()

	peak := procStatus(t, pid, "VmHWM")
	counts := map[int]int{}
	for i, s := range statuses {
		counts[s]++
		if s == http.StatusServiceUnavailable && retryAfter[i] == "" {
			t.Errorf("post %d: 503 without Retry-After", i)
		}
		// 0: the connection broke before an answer was read, as when the
		// server answers early and closes while a slow machine is still
		// sending; no status to judge, so not a wrong one.
		if s != 0 && s != http.StatusUnauthorized && s != http.StatusServiceUnavailable {
			t.Errorf("post %d: status %d, want 401 or 503", i, s)
		}
	}
	if counts[0] == posts {
		t.Fatal("no post got an answer")
	}
	t.Logf("%d unsigned 1 MB posts: statuses %v; RSS idle %d MB, peak %d MB", posts, counts, idle>>20, peak>>20)
	if peak > peakRSSLimit {
		t.Errorf("peak RSS %d MB, want at most %d MB", peak>>20, peakRSSLimit>>20)
	}
	// The receiver still takes a signed event after the flood.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ev := sim.CustomEvent("deployment.created", map[string]any{"deployment": map[string]any{"id": "dpl_after_flood"}})
	if status, err := sim.DeliverWebhook(ctx, url+"/webhooks/vercel", ev); err != nil || status != http.StatusOK {
		t.Errorf("signed event after the flood: %d %v\n%s", status, err, tail(logs.String(), 2000))
	}
}

// megabyteEvent is a well-formed event body of exactly 1 MB (the default
// max_body_bytes).
func megabyteEvent() []byte {
	head := []byte(`{"id":"evt_flood","type":"deployment.created","payload":{"pad":"`)
	tail := []byte(`"}}`)
	pad := bytes.Repeat([]byte("x"), 1<<20-len(head)-len(tail))
	return append(append(head, pad...), tail...)
}

// gate holds back the last byte of every body until all n posts have sent
// the rest, or until wait has passed: then the server has as many bodies
// in flight as it lets itself read, as under a flood of slow senders.
type gate struct {
	mu      sync.Mutex
	waiting int
	open    chan struct{}
}

func newGate(n int, wait time.Duration) *gate {
	g := &gate{waiting: n, open: make(chan struct{})}
	time.AfterFunc(wait, g.release)
	return g
}

func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.open:
	default:
		close(g.open)
	}
}

// body reads as b, pausing before its last byte.
func (g *gate) body(b []byte) io.Reader {
	return io.MultiReader(bytes.NewReader(b[:len(b)-1]), &gatedByte{g: g, b: b[len(b)-1]})
}

type gatedByte struct {
	g    *gate
	b    byte
	done bool
}

func (r *gatedByte) Read(p []byte) (int, error) {
	if r.done {
		return 0, io.EOF
	}
	r.g.mu.Lock()
	r.g.waiting--
	all := r.g.waiting == 0
	r.g.mu.Unlock()
	if all {
		r.g.release()
	}
	<-r.g.open
	r.done = true
	p[0] = r.b
	return 1, nil
}

// postUnsigned posts body with a wrong signature and returns the status
// and Retry-After header; 0 when the request failed.
func postUnsigned(c *http.Client, url string, body io.Reader, size int) (int, string) {
	req, _ := http.NewRequest(http.MethodPost, url, body)
	req.ContentLength = int64(size)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-vercel-signature", strings.Repeat("0", 40))
	res, err := c.Do(req)
	if err != nil {
		return 0, ""
	}
	defer res.Body.Close()
	return res.StatusCode, res.Header.Get("Retry-After")
}

// procStatus reads a memory field (in kB) of /proc/PID/status, in bytes.
func procStatus(t *testing.T, pid int, field string) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			t.Fatalf("%s: %q", field, value)
		}
		return kb << 10
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}
