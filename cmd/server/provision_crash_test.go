package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/db/dbtest"
	"github.com/vercel-partner/partner-server/internal/provisioning"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

const provisionCrashConfig = `
products:
  - id: db
    name: Database
    secret_names: [DATABASE_URL]
    plans:
      - id: pro
        type: subscription
        name: Pro
        description: Pro plan
        price: "20.00"
`

const (
	perRound    = 20 // provisions per kill, each under its own Idempotency-Key
	crashRounds = 3  // kills, at least
	maxRounds   = 10 // kills, at most, until one cuts a provision short
	// retryFor bounds the retries: every claim a kill left behind must be
	// taken over in this time (it is held for its request's bound and a
	// margin: about 22 s here).
	retryFor = 60 * time.Second
)

// provisionHook is the partner's provisioning service for the kill test: slow
// (so kills land while provisions wait for it), deduplicating by
// webhook-id as the hook rules ask, and recording every provision call.
type provisionHook struct {
	secret string
	mu     sync.Mutex
	calls  []provisionCall
	first  map[string][]byte // the first answer per webhook-id
}

type provisionCall struct {
	webhookID, idempotencyKey, resourceID string
}

func (h *provisionHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if provisioning.Verify(h.secret, r.Header, body) != nil {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var req struct {
		Type           string
		IdempotencyKey string
		Resource       struct{ ID string }
	}
	json.Unmarshal(body, &req)
	id := r.Header.Get("webhook-id")
	h.mu.Lock()
	if req.Type == provisioning.TypeProvision {
		h.calls = append(h.calls, provisionCall{id, req.IdempotencyKey, req.Resource.ID})
	}
	ans, ok := h.first[id]
	if !ok {
		ans, _ = json.Marshal(map[string]any{"status": "ready",
			"secrets": []map[string]string{{"name": "DATABASE_URL", "value": "postgres://" + rand.Text()}}})
		h.first[id] = ans
	}
	h.mu.Unlock()
	time.Sleep(time.Duration(mrand.IntN(1500)) * time.Millisecond) // within the 2s hook timeout
	w.Header().Set("Content-Type", "application/json")
	w.Write(ans)
}

// TestKilledProvisionsMakeOneResourcePerKey runs the real binary on SQLite
// and PostgreSQL, in hook and feed mode, starts many provisions each under
// its own Idempotency-Key, kills the process with SIGKILL at random
// moments while they run, restarts it and retries every key until it is
// answered: each key ends with exactly one resource, one
// resource.provision_requested on the feed (feed mode), and one logical
// provision at the hook (every call for a key under one webhook-id, with
// the key), whose secrets the answer carries.
func TestKilledProvisionsMakeOneResourcePerKey(t *testing.T) {
	bin := serverBinary(t)
	for _, driver := range []string{"sqlite", "postgres"} {
		for _, mode := range []string{"hook", "feed"} {
			t.Run(driver+"/"+mode, func(t *testing.T) {
				t.Parallel()
				killProvisions(t, bin, driver, mode == "hook")
			})
		}
	}
}

// keyAnswer is the last answer a key got: an HTTP status (0: none, the
// process died) and the resource it names.
type keyAnswer struct {
	status     int
	code       string // the error's code
	resourceID string
	secret     string
}

func killProvisions(t *testing.T, bin, driver string, withHook bool) {
	const inst, token = "icfg_9bceb8ccT32d3U417ezb5c8q", "crash-test-internal-token-123456"
	sim, err := vercelsim.Start(vercelsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte(provisionCrashConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(childEnv(sim, token), "PARTNER_DELIVERIES_POLL_INTERVAL=50ms", "PARTNER_DELIVERIES_FIRST_ATTEMPT_TIMEOUT=1s")
	sqlDriver, dsn := "sqlite", filepath.Join(dir, "partner.db")
	if driver == "postgres" {
		sqlDriver, dsn = "pgx", dbtest.PostgresDSN(t)
		env = append(env, "PARTNER_DATABASE_DRIVER=postgres")
	}
	env = append(env, "PARTNER_DATABASE_DSN="+dsn)
	var hook *provisionHook
	if withHook {
		hook = &provisionHook{secret: "whsec_" + base64.StdEncoding.EncodeToString([]byte("crash-hook-key-0123456789")), first: map[string][]byte{}}
		srv := httptest.NewServer(hook)
		defer srv.Close()
		env = append(env, "PARTNER_PROVISIONING_HOOK_URL="+srv.URL, "PARTNER_PROVISIONING_HOOK_SECRET="+hook.secret,
			"PARTNER_PROVISIONING_HOOK_TIMEOUT=2s")
	}
	var logs lockedBuffer
	cmd, url := startChild(t, bin, env, &logs, "-config", cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if _, err := sim.Install(ctx, url, inst); err != nil {
		t.Fatal(err)
	}
	body := map[string]any{"productId": "db", "name": "main", "billingPlanId": "pro", "metadata": map[string]any{}}
	provision := func(url, key string) keyAnswer {
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		resp, err := sim.Provision(rctx, url, inst, body, vercelsim.WithIdempotencyKey(key))
		if err != nil {
			return keyAnswer{}
		}
		a := keyAnswer{status: resp.Status}
		a.resourceID, _ = resp.JSON["id"].(string)
		if e, ok := resp.JSON["error"].(map[string]any); ok {
			a.code, _ = e["code"].(string)
		}
		if s, _ := resp.JSON["secrets"].([]any); len(s) == 1 {
			a.secret, _ = s[0].(map[string]any)["value"].(string)
		}
		return a
	}
	var answers []keyAnswer
	key := func(i int) string { return fmt.Sprintf("crash-%s-%02d", driver, i) }
	claims, held := openClaims(t, sqlDriver, dsn)
	abandoned := 0 // claims the kills left mid-request
	for round := 0; round < crashRounds || abandoned == 0 && round < maxRounds; round++ {
		// A burst of provisions, killed at a random moment once the server
		// works on them (claims are open): in hook mode while they wait for
		// the slow hook, in feed mode within their database work.
		first := len(answers)
		answers = append(answers, make([]keyAnswer, perRound)...)
		var wg sync.WaitGroup
		for i := first; i < first+perRound; i++ {
			wg.Go(func() { answers[i] = provision(url, key(i)) })
		}
		open, pause := abandoned+2, time.Duration(0) // feed: kill at once
		if withHook {
			open, pause = abandoned+1, time.Duration(mrand.IntN(1200))*time.Millisecond
		}
		for deadline := time.Now().Add(5 * time.Second); claims() < open && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(pause)
		kill(t, cmd)
		wg.Wait()
		abandoned = claims() // the process is dead: the count stands
		cmd, url = startChild(t, bin, env, &logs, "-config", cfg)
	}
	unanswered := 0
	for _, a := range answers {
		if a.status == 0 {
			unanswered++
		}
	}
	// Each claim left is held until its request's bound and a margin have
	// passed; then retries take it over.
	for deadline := time.Now().Add(retryFor); held() > 0; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("claims still held after %v", retryFor)
		}
	}
	retryAll(t, answers, func(i int) keyAnswer { return provision(url, key(i)) })
	reportKeys(t, url, token, inst, answers, unanswered, abandoned, hook, key)
}

// openClaims reads the child's database: how many idempotency claims are
// not answered, and how many of those are still held (not yet to be
// taken over).
func openClaims(t *testing.T, driver, dsn string) (open, held func() int) {
	t.Helper()
	d, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	count := func(q string, args ...any) int {
		var n int
		d.QueryRow(q, args...).Scan(&n)
		return n
	}
	open = func() int { return count(`SELECT COUNT(*) FROM idempotency_keys WHERE status = 0`) }
	held = func() int {
		return count(`SELECT COUNT(*) FROM idempotency_keys WHERE status = 0 AND deadline > ` +
			fmt.Sprint(time.Now().UnixMilli()))
	}
	return open, held
}

// kill ends the child at once, as a crash would.
func kill(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
}

// retryAll retries every key, as Vercel does, until it is answered 200
// (a claim still held is refused with 409, in use, and tried again). A
// 200 to a key answered before must replay that answer.
func retryAll(t *testing.T, answers []keyAnswer, retry func(i int) keyAnswer) {
	t.Helper()
	deadline := time.Now().Add(retryFor)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Go(func() {
			for {
				a := retry(i)
				if a.status == http.StatusOK {
					if answers[i].status == http.StatusOK && (a.resourceID != answers[i].resourceID || a.secret != answers[i].secret) {
						t.Errorf("key %d: the replay names %s, the first answer %s", i, a.resourceID, answers[i].resourceID)
					}
					answers[i] = a
					return
				}
				if time.Now().After(deadline) {
					t.Errorf("key %d: still answered %d %s after %v", i, a.status, a.code, retryFor)
					return
				}
				time.Sleep(time.Second)
			}
		})
	}
	wg.Wait()
}

// reportKeys counts what the keys made and asserts one of each per key.
func reportKeys(t *testing.T, url, token, inst string, answers []keyAnswer, unanswered, abandoned int, hook *provisionHook, key func(int) string) {
	t.Helper()
	_, body := internalCall(t, url, token, "GET", "/installations/"+inst+"/resources", "")
	list, _ := body["resources"].([]any)
	ours := map[string]bool{}
	for _, r := range list {
		id, _ := r.(map[string]any)["id"].(string)
		ours[id] = true
	}
	requested := 0
	for _, ev := range readFeed(t, url, token) {
		if ev.Type == "resource.provision_requested" {
			requested++
		}
	}
	operations := map[string]bool{}
	var calls []provisionCall
	if hook != nil {
		hook.mu.Lock()
		calls = append(calls, hook.calls...)
		hook.mu.Unlock()
		for _, c := range calls {
			operations[c.webhookID] = true
		}
	}
	t.Logf("%s: %d keys, %d unanswered before %d kills, %d claims left mid-request: %d resources, %d provision requests on the feed, %d hook provisions (%d calls)",
		t.Name(), len(answers), unanswered, len(answers)/perRound, abandoned, len(ours), requested, len(operations), len(calls))
	if abandoned == 0 {
		t.Error("no kill came in the middle of a provision: the test proved nothing")
	}
	answered := map[string]bool{}
	for i, a := range answers {
		if a.status != http.StatusOK || !ours[a.resourceID] || answered[a.resourceID] {
			t.Errorf("key %d: answered %+v; want its own resource, one we hold", i, a)
		}
		answered[a.resourceID] = true
	}
	if len(ours) != len(answers) {
		t.Errorf("%d resources for %d keys", len(ours), len(answers))
	}
	if hook == nil {
		if requested != len(answers) {
			t.Errorf("%d resource.provision_requested for %d keys", requested, len(answers))
		}
		return
	}
	if len(operations) != len(answers) {
		t.Errorf("%d hook provisions (distinct webhook-ids) for %d keys", len(operations), len(answers))
	}
	byKey := map[string]provisionCall{}
	for _, c := range calls {
		if prev, ok := byKey[c.idempotencyKey]; ok && prev != c {
			t.Errorf("key %s: hook calls %+v and %+v differ", c.idempotencyKey, prev, c)
		}
		byKey[c.idempotencyKey] = c
	}
	for i, a := range answers {
		c, ok := byKey[key(i)]
		if !ok || c.resourceID != a.resourceID {
			t.Errorf("key %d: hook call %+v for resource %s", i, c, a.resourceID)
			continue
		}
		hook.mu.Lock()
		var first struct{ Secrets []struct{ Value string } }
		json.Unmarshal(hook.first[c.webhookID], &first)
		hook.mu.Unlock()
		if len(first.Secrets) != 1 || a.secret != first.Secrets[0].Value {
			t.Errorf("key %d: answered secret differs from the hook's answer to %s", i, c.webhookID)
		}
	}
}
