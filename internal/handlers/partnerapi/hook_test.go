package partnerapi_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/config"
	"github.com/vercel-partner/partner-server/internal/provisioning"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

var hookSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("hook-key-0123456789abcdef"))

// testHook is the partner's provisioning service: it checks every
// request's signature and answers with fresh secrets.
type testHook struct {
	*httptest.Server
	mu    sync.Mutex
	reqs  []provisioning.Request
	delay time.Duration
	fail  bool
	raw   string // answered as is when set
	ids   []string
}

func newTestHook(t *testing.T) *testHook {
	h := &testHook{}
	h.Server = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.Close)
	return h
}

func (h *testHook) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := provisioning.Verify(hookSecret, r.Header, body); err != nil {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var req provisioning.Request
	json.Unmarshal(body, &req)
	h.mu.Lock()
	h.reqs = append(h.reqs, req)
	h.ids = append(h.ids, r.Header.Get("webhook-id"))
	delay, fail, raw := h.delay, h.fail, h.raw
	h.mu.Unlock()
	time.Sleep(delay)
	if fail {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	if raw != "" {
		io.WriteString(w, raw)
		return
	}
	value := "redis://" + req.Type + "@h-" + strings.Repeat("x", len(h.requests()))
	json.NewEncoder(w).Encode(map[string]any{"status": "ready",
		"secrets": []map[string]string{{"name": "REDIS_URL", "value": value}}})
}

func (h *testHook) requests() []provisioning.Request {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]provisioning.Request(nil), h.reqs...)
}

func (h *testHook) set(delay time.Duration, fail bool) {
	h.mu.Lock()
	h.delay, h.fail = delay, fail
	h.mu.Unlock()
}

func hookConfig(url string) func(*config.Config) {
	return func(c *config.Config) {
		c.Provisioning = config.Provisioning{HookURL: url, HookSecret: hookSecret, HookTimeout: 300 * time.Millisecond}
	}
}

func TestHookModeLifecycle(t *testing.T) {
	t.Parallel()
	hook := newTestHook(t)
	e := newLifeEnv(t, hookConfig(hook.URL))
	ctx := t.Context()
	resp, err := e.sim.Provision(ctx, e.URL, testInstallation, e.provisionBody("cache", "redis-pro"), vercelsim.WithIdempotencyKey("k1"))
	if err != nil || resp.Status != 200 || resp.JSON["status"] != "ready" {
		t.Fatalf("provision: %v %d %s", err, resp.Status, resp.Body)
	}
	rid := resp.JSON["id"].(string)
	secrets := e.sim.Secrets(testInstallation, rid)
	if len(secrets) != 1 || !strings.HasPrefix(secrets[0].Value, "redis://resource.provision@") {
		t.Fatalf("Vercel holds %+v", secrets)
	}
	reqs := hook.requests()
	if len(reqs) != 1 || reqs[0].Type != "resource.provision" || reqs[0].InstallationID != testInstallation ||
		reqs[0].Resource.(map[string]any)["id"] != rid || reqs[0].IdempotencyKey != "k1" {
		t.Fatalf("hook got %+v", reqs)
	}
	// A retry replays the answer, secrets included, without a second call.
	again, _ := e.sim.Provision(ctx, e.URL, testInstallation, e.provisionBody("cache", "redis-pro"), vercelsim.WithIdempotencyKey("k1"))
	if !bytes.Equal(again.Body, resp.Body) || len(hook.requests()) != 1 {
		t.Errorf("retry: %s (hook called %d times)", again.Body, len(hook.requests()))
	}
	if len(e.feed(t, "resource.provision_requested")) != 0 {
		t.Error("hook mode put a provision request on the feed")
	}

	rot, _ := e.sim.RotateSecrets(ctx, e.URL, testInstallation, rid, []byte(`{"reason":"leaked","delayOldSecretsExpirationHours":0.25}`))
	if rot.Status != 200 || rot.JSON["sync"] != true {
		t.Fatalf("rotate: %d %s", rot.Status, rot.Body)
	}
	if s := e.sim.Secrets(testInstallation, rid); len(s) != 1 || !strings.HasPrefix(s[0].Value, "redis://resource.rotate_secrets@") {
		t.Errorf("after rotation Vercel holds %+v", s)
	}
	last := hook.requests()[1]
	if last.Reason != "leaked" || last.DelayOldSecretsExpirationHours == nil || last.DelayOldSecretsExpirationHours.String() != "0.25" {
		t.Errorf("rotate hook request %+v", last)
	}
	if up, _ := e.sim.UpdateResource(ctx, e.URL, testInstallation, rid, map[string]any{"billingPlanId": "redis-free"}); up.Status != 200 {
		t.Errorf("update: %d %s", up.Status, up.Body)
	}
	if del, _ := e.sim.DeleteResource(ctx, e.URL, testInstallation, rid); del.Status != 204 {
		t.Errorf("delete: %d %s", del.Status, del.Body)
	}
	types := []string{}
	for _, r := range hook.requests() {
		types = append(types, r.Type)
	}
	if strings.Join(types, ",") != "resource.provision,resource.rotate_secrets,resource.update,resource.delete" {
		t.Errorf("hook calls %v", types)
	}
	assertNoPlainSecrets(t, e, secrets[0].Value)
}

// assertNoPlainSecrets reads every file of the database for a secret value.
func assertNoPlainSecrets(t *testing.T, e *lifeEnv, value string) {
	t.Helper()
	files, _ := filepath.Glob(e.Config.Database.DSN + "*")
	if len(files) == 0 {
		t.Fatal("no database files")
	}
	for _, f := range files {
		if b, _ := os.ReadFile(f); bytes.Contains(b, []byte(value)) {
			t.Errorf("%s holds a secret value", f)
		}
	}
}

// TestHookAnswersBreakingTheRulesProvisionNothing: an answer that is not
// the expected object, or carries what Vercel must not get, is a hook
// failure: 409 for the user, no resource, nothing of the answer shown.
func TestHookAnswersBreakingTheRulesProvisionNothing(t *testing.T) {
	t.Parallel()
	hook := newTestHook(t)
	e := newLifeEnv(t, hookConfig(hook.URL))
	for _, raw := range []string{
		`null`, `[]`, `"ready"`, `{"status":"ready"}`,
		`{"secrets":[{"name":"REDIS_URL","value":"leak\u0000y"}]}`,
		`{"secrets":[{"name":"A=B\nC D","value":"leak"}]}`,
		`{"secrets":[{"name":"REDIS_URL","value":"leak"}],"notification":{"level":"info","title":"t","href":"javascript:leak()"}}`,
		`{"secrets":[{"name":"REDIS_URL","value":"leak"}],"status":"exploded"}`,
	} {
		hook.mu.Lock()
		hook.raw = raw
		hook.mu.Unlock()
		resp, err := e.sim.Provision(t.Context(), e.URL, testInstallation, e.provisionBody("cache", "redis-pro"))
		if err != nil || resp.Status != 409 || bytes.Contains(resp.Body, []byte("leak")) {
			t.Errorf("answer %s: %v %d %s, want 409 showing nothing of it", raw, err, resp.Status, resp.Body)
		}
	}
	if list, _ := e.App.Resources.ListResources(t.Context(), testInstallation); len(list) != 0 {
		t.Errorf("refused answers left %d resources", len(list))
	}
}

// TestHookHearsOneOperationPerKey: every hook call carries a webhook-id;
// a provision under a key has its own, and a new key a new one.
func TestHookHearsOneOperationPerKey(t *testing.T) {
	t.Parallel()
	hook := newTestHook(t)
	e := newLifeEnv(t, hookConfig(hook.URL))
	for _, k := range []string{"k-a", "k-a", "k-b"} {
		if resp, err := e.sim.Provision(t.Context(), e.URL, testInstallation, e.provisionBody("cache", "redis-pro"),
			vercelsim.WithIdempotencyKey(k)); err != nil || resp.Status != 200 {
			t.Fatalf("provision %s: %v %d %s", k, err, resp.Status, resp.Body)
		}
	}
	hook.mu.Lock()
	ids := slices.Clone(hook.ids)
	hook.mu.Unlock()
	if len(ids) != 2 || ids[0] == ids[1] || !strings.HasPrefix(ids[0], "msg_") {
		t.Errorf("webhook-ids %q: want one per key (the repeat is replayed)", ids)
	}
}

func TestHookFailureLeavesNothing(t *testing.T) {
	t.Parallel()
	hook := newTestHook(t)
	e := newLifeEnv(t, hookConfig(hook.URL))
	for _, c := range []struct {
		name  string
		delay time.Duration
		fail  bool
	}{{"timeout", time.Second, false}, {"error", 0, true}} {
		hook.set(c.delay, c.fail)
		resp, err := e.sim.Provision(t.Context(), e.URL, testInstallation, e.provisionBody("cache", "redis-pro"))
		user, _ := resp.JSON["error"].(map[string]any)["user"].(map[string]any)
		if err != nil || resp.Status != 409 || user["message"] == "" || user["message"] == nil {
			t.Errorf("%s: %v %d %s", c.name, err, resp.Status, resp.Body)
		}
	}
	if list, _ := e.App.Resources.ListResources(t.Context(), testInstallation); len(list) != 0 {
		t.Errorf("failed provisions left %d resources", len(list))
	}
	hook.set(0, false)
	rid := e.provision(t, "cache", "redis-pro")
	hook.set(0, true)
	if r, _ := e.sim.RotateSecrets(t.Context(), e.URL, testInstallation, rid, nil); r.Status != 409 {
		t.Errorf("rotate with a failing hook: %d %s", r.Status, r.Body)
	}
	if r, _ := e.sim.DeleteResource(t.Context(), e.URL, testInstallation, rid); r.Status != 409 {
		t.Errorf("delete with a failing hook: %d %s", r.Status, r.Body)
	}
	if _, err := e.App.Resources.GetResource(t.Context(), testInstallation, rid); err != nil {
		t.Errorf("a refused delete removed the resource: %v", err)
	}
}
