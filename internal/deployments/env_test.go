package deployments_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/app/apptest"
	"github.com/vercel-partner/partner-server/internal/config"
	"github.com/vercel-partner/partner-server/internal/db/dbtest"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/deployments"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/provisioning"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

const (
	inst    = "icfg_deploy00000000000000001"
	res     = "db_preview01"
	project = "prj_web"
)

var (
	hookSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	catalog    = installations.Catalog{{ID: "postgres", Name: "Postgres", SecretNames: []string{"DATABASE_URL", "DATABASE_TOKEN"},
		Plans: []installations.BillingPlan{{ID: "pro", Type: "subscription", Name: "Pro"}}}}
	fastQueue = deliveries.Options{FirstAttemptTimeout: 2 * time.Second, BaseBackoff: 20 * time.Millisecond,
		MaxBackoff: 100 * time.Millisecond, PollInterval: 20 * time.Millisecond, MaxAge: time.Hour, Workers: 4}
)

// env is the whole server (apptest) in front of a simulator, with one
// installation, one resource connected to project prj_web and, in hook
// mode, the partner's hook.
type env struct {
	*apptest.Env
	hook *hookServer // nil in feed mode
}

type envOpts struct {
	hook     bool
	postgres bool
	timeout  time.Duration // deployments.action_timeout; default 1m
	sim      *vercelsim.Sim
	dsn      string      // share a PostgreSQL database (replicas)
	shared   *hookServer // share a hook (replicas)
}

func newEnv(t *testing.T, o envOpts) *env {
	t.Helper()
	e := &env{}
	opts := apptest.Options{Catalog: catalog, Deliveries: &fastQueue, Sim: o.sim}
	if o.postgres || o.dsn != "" {
		opts.Driver, opts.DSN = "postgres", o.dsn
		if o.dsn == "" {
			opts.DSN = dbtest.PostgresDSN(t)
		}
		opts.EncryptionKey = base64.StdEncoding.EncodeToString(make([]byte, 32))
	}
	if e.hook = o.shared; o.hook && e.hook == nil {
		e.hook = newHook(t)
	}
	opts.Config = func(c *config.Config) {
		c.Deployments.ActionTimeout = o.timeout
		if o.timeout == 0 {
			c.Deployments.ActionTimeout = time.Minute
		}
		c.Deliveries.PollInterval = 20 * time.Millisecond
		if e.hook != nil {
			c.Provisioning.HookURL, c.Provisioning.HookSecret, c.Provisioning.HookTimeout = e.hook.url, hookSecret, 2*time.Second
		}
	}
	e.Env = apptest.New(t, opts)
	ctx := t.Context()
	if _, err := e.Sim.Install(ctx, e.URL, inst); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Resources.PutResource(ctx, installations.Resource{ID: res, InstallationID: inst, ProductID: "postgres",
		Name: "orders", BillingPlanID: "pro", Status: "ready", Metadata: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	e.Sim.SetResource(inst, res, vercelsim.Resource{ProductID: "postgres", Name: "orders"})
	ev := e.Sim.ProjectConnectedEvent(inst, res, vercelsim.Project{ID: project, Name: "web"}, []string{"preview"})
	if status, err := e.Sim.DeliverWebhook(ctx, e.webhooks(), ev); err != nil || status != http.StatusOK {
		t.Fatalf("connect the project: %d %v", status, err)
	}
	return e
}

func (e *env) webhooks() string { return e.URL + "/webhooks/vercel" }

// deploy deploys a preview of prj_web.
func (e *env) deploy(t *testing.T, o vercelsim.DeployOptions) vercelsim.Deployment {
	t.Helper()
	d, err := e.Sim.DeployPreview(t.Context(), e.webhooks(), inst, project, o)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// call sends an internal API request and decodes the JSON answer.
func (e *env) call(t *testing.T, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), method, e.URL+"/internal/v1"+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+apptest.InternalToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// job reads one job of a deployment through the internal API.
func (e *env) job(t *testing.T, deploymentID, kind string) map[string]any {
	t.Helper()
	status, body := e.call(t, "GET", "/installations/"+inst+"/deployments/"+deploymentID, "")
	if status != http.StatusOK {
		t.Fatalf("GET deployment: %d %v", status, body)
	}
	list, _ := body[kind].([]any)
	if len(list) != 1 {
		t.Fatalf("deployment %s has %d %s, want 1: %v", deploymentID, len(list), kind, body)
	}
	return list[0].(map[string]any)
}

// waitFor polls cond until it holds (it fails the test after a generous
// bound: the work is asynchronous, the bound is not what is tested).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s", what)
		}
	}
}

// statuses is what Vercel took for the deployment's first action.
func statuses(sim *vercelsim.Sim, deploymentID string) []string {
	d, _ := sim.Deployment(deploymentID)
	var out []string
	if len(d.Actions) > 0 {
		for _, s := range d.Actions[0].Statuses {
			out = append(out, s.Status)
		}
	}
	return out
}

// hookServer is the partner's hook: it checks the signature, records
// each request with its webhook-id and answers with answer(request).
type hookServer struct {
	url    string
	mu     sync.Mutex
	calls  []hookCall
	answer func(r deployments.Request) (int, string)
	hold   chan struct{} // when set, start requests wait for it to close
	// inflight counts the calls being answered per webhook-id; overlap
	// records one answered while another of the same id was.
	inflight map[string]int
	overlap  bool
}

type hookCall struct {
	WebhookID string
	deployments.Request
}

func newHook(t *testing.T) *hookServer {
	h := &hookServer{answer: func(deployments.Request) (int, string) { return 200, `{"async":true}` }, inflight: map[string]int{}}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	h.url = srv.URL
	return h
}

func (h *hookServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := provisioning.Verify(hookSecret, r.Header, body); err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var req deployments.Request
	json.Unmarshal(body, &req)
	h.mu.Lock()
	id := r.Header.Get("webhook-id")
	h.calls = append(h.calls, hookCall{WebhookID: id, Request: req})
	answer, hold := h.answer, h.hold
	if h.inflight[id]++; h.inflight[id] > 1 {
		h.overlap = true
	}
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		h.inflight[id]--
		h.mu.Unlock()
	}()
	if hold != nil && (req.Type == deployments.TypeAction || req.Type == deployments.TypeCheckRun) {
		select {
		case <-hold:
		case <-r.Context().Done():
			return
		}
	}
	status, out := answer(req)
	w.WriteHeader(status)
	io.WriteString(w, out)
}

func (h *hookServer) set(answer func(deployments.Request) (int, string)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.answer = answer
}

// received returns the requests of type typ the hook received.
func (h *hookServer) received(typ string) []hookCall {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []hookCall
	for _, c := range h.calls {
		if c.Type == typ {
			out = append(out, c)
		}
	}
	return out
}

// feed returns the feed events of type typ.
func (e *env) feed(t *testing.T, typ string) []installations.Event {
	t.Helper()
	evs, err := e.App.Events.EventsAfter(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []installations.Event
	for _, ev := range evs {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

// complete reports a status through the internal API and waits until
// Vercel took it: the answer is 200, or 202 while an earlier status of the
// same job is still being recorded as delivered.
func (e *env) complete(t *testing.T, path, body string) map[string]any {
	t.Helper()
	status, out := e.call(t, "PATCH", path, body)
	d, _ := out["delivery"].(map[string]any)
	if status != http.StatusOK && status != http.StatusAccepted || d == nil {
		t.Fatalf("PATCH %s: %d %v", path, status, out)
	}
	waitFor(t, "the status delivered", func() bool {
		_, got := e.call(t, "GET", "/deliveries/"+d["id"].(string), "")
		d, _ := got["delivery"].(map[string]any)
		return d["status"] == "delivered"
	})
	return out
}
