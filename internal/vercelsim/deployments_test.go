package vercelsim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// partnerSink is a partner that answers 200 to every webhook and keeps
// their types and payloads.
type partnerSink struct {
	mu     sync.Mutex
	events []WebhookEvent
}

func (w *partnerSink) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	var ev WebhookEvent
	b, _ := io.ReadAll(r.Body)
	json.Unmarshal(b, &ev)
	w.mu.Lock()
	w.events = append(w.events, ev)
	w.mu.Unlock()
}

func (w *partnerSink) types() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, ev := range w.events {
		out = append(out, ev.Type)
	}
	return out
}

// deployed is a simulator with an installation whose resource db_1 is
// connected to project prj_web, and a preview of it deployed.
func deployed(t *testing.T) (*Sim, *partnerSink, string, Deployment) {
	t.Helper()
	s := startSim(t, Options{})
	sink := &partnerSink{}
	srv := httptest.NewServer(sink)
	t.Cleanup(srv.Close)
	const inst = "icfg_simdeploy0000000000001"
	s.RegisterInstallation(inst, "tok_deploy")
	s.SetResource(inst, "db_1", Resource{ProductID: "postgres", Name: "main"})
	if status, err := s.DeliverWebhook(t.Context(), srv.URL, s.ProjectConnectedEvent(inst, "db_1", Project{ID: "prj_web", Name: "web"}, nil)); err != nil || status != 200 {
		t.Fatal(status, err)
	}
	d, err := s.DeployPreview(t.Context(), srv.URL, inst, "prj_web", DeployOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s, sink, srv.URL, d
}

func TestDeployPreviewSendsTheActionAndCheckRunWebhooks(t *testing.T) {
	t.Parallel()
	s, sink, _, d := deployed(t)
	if got := sink.types(); !slices.Equal(got, []string{EventProjectConnected, EventActionStart, EventCheckRunStart}) {
		t.Fatalf("webhooks %v", got)
	}
	ev := sink.events[1].Payload
	if ev["installationId"] != d.InstallationID || ev["resourceId"] != "db_1" || ev["action"] != DefaultAction ||
		ev["deployment"].(map[string]any)["id"] != d.ID {
		t.Errorf("action payload %v", ev)
	}
	run := sink.events[2].Payload["checkRun"].(map[string]any)
	if run["id"] != d.CheckRuns[0].ID || run["deploymentId"] != d.ID ||
		run["source"].(map[string]any)["integrationConfigurationId"] != d.InstallationID {
		t.Errorf("check run payload %v", run)
	}
	if got, _ := s.Deployment(d.ID); got.State() != "blocked" {
		t.Errorf("state %s, want blocked until the integration reports", got.State())
	}
	if _, err := s.DeployPreview(t.Context(), "http://127.0.0.1:1", d.InstallationID, "prj_none", DeployOptions{}); err == nil {
		t.Error("a project connected to nothing was deployed")
	}
}

func TestDeploymentActionUpdatesAreCheckedLikeVercel(t *testing.T) {
	t.Parallel()
	s, _, _, d := deployed(t)
	path := "/v1/deployments/" + d.ID + "/integrations/" + d.InstallationID + "/resources/db_1/actions/" + DefaultAction
	for _, c := range []struct {
		name, path, token string
		body              any
		status            int
		msg               string
	}{
		{"unknown key", path, "tok_deploy", map[string]any{"status": "running", "extra": 1}, 400, "extra"},
		{"bad status", path, "tok_deploy", map[string]any{"status": "done"}, 400, "status"},
		{"bad outcome", path, "tok_deploy", map[string]any{"status": "succeeded", "outcomes": []any{map[string]any{"kind": "env", "secrets": []any{}}}}, 400, "outcomes[0].kind"},
		{"bad link", path, "tok_deploy", map[string]any{"status": "running", "statusUrl": "ftp://x"}, 400, "statusUrl"},
		{"wrong token", path, "tok_other", map[string]any{"status": "running"}, 401, ""},
		{"unknown action", strings.Replace(path, DefaultAction, "migrate", 1), "tok_deploy", map[string]any{"status": "running"}, 404, ""},
		{"running", path, "tok_deploy", map[string]any{"status": "running", "statusUrl": "sso:/branches/1"}, 202, ""},
		{"succeeded", path, "tok_deploy", map[string]any{"status": "succeeded", "outcomes": []any{map[string]any{"kind": "resource-secrets",
			"secrets": []any{map[string]any{"name": "DATABASE_URL", "value": "postgres://branch"}}}}}, 202, ""},
		{"after the end", path, "tok_deploy", map[string]any{"status": "failed"}, 409, ""},
	} {
		r := call(t, s, http.MethodPatch, c.path, c.token, c.body)
		if r.status != c.status || c.msg != "" && !strings.Contains(string(r.body), c.msg) {
			t.Errorf("%s: %d %s, want %d naming %q", c.name, r.status, r.body, c.status, c.msg)
		}
	}
	got, _ := s.Deployment(d.ID)
	a := got.Actions[0]
	if len(a.Statuses) != 2 || a.Statuses[1].Status != "succeeded" || len(a.Env) != 1 || a.Env[0].Value != "postgres://branch" {
		t.Errorf("action %+v", a)
	}
}

func TestCheckRunUpdatesAreCheckedLikeVercel(t *testing.T) {
	t.Parallel()
	s, sink, hook, d := deployed(t)
	path := "/v2/deployments/" + d.ID + "/check-runs/" + d.CheckRuns[0].ID
	for _, c := range []struct {
		name, path, token string
		body              any
		status            int
	}{
		{"no token", path, "", map[string]any{"status": "running"}, 401},
		{"another installation's token", path, "tok_other", map[string]any{"status": "running"}, 401},
		{"completed without conclusion", path, "tok_deploy", map[string]any{"status": "completed"}, 400},
		{"unknown key", path, "tok_deploy", map[string]any{"status": "running", "name": "x"}, 400},
		{"unknown check run", strings.Replace(path, d.CheckRuns[0].ID, "chkrun_x", 1), "tok_deploy", map[string]any{"status": "running"}, 404},
		{"running", path, "tok_deploy", map[string]any{"status": "running"}, 200},
	} {
		if r := call(t, s, http.MethodPatch, c.path, c.token, c.body); r.status != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, r.status, r.body, c.status)
		}
	}
	if err := s.CancelDeployment(t.Context(), hook, d.ID); err != nil {
		t.Fatal(err)
	}
	if got := sink.types(); !slices.Contains(got, EventActionCancel) || !slices.Contains(got, EventCheckRunCancel) {
		t.Errorf("webhooks %v, want both cancels", got)
	}
	if r := call(t, s, http.MethodPatch, path, "tok_deploy", map[string]any{"status": "completed", "conclusion": "succeeded"}); r.status != 409 {
		t.Errorf("after the cancel: %d %s, want 409", r.status, r.body)
	}
}

func TestDeploymentsSurviveSaveAndLoad(t *testing.T) {
	t.Parallel()
	s, _, _, d := deployed(t)
	path := filepath.Join(t.TempDir(), "sim.json")
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
	again := startSim(t, Options{})
	if err := again.Load(path); err != nil {
		t.Fatal(err)
	}
	if got, ok := again.Deployment(d.ID); !ok || len(got.Actions) != 1 || len(got.CheckRuns) != 1 {
		t.Errorf("loaded %+v", got)
	}
	if p := again.Projects(d.InstallationID); len(p) != 1 || p[0].ID != "prj_web" {
		t.Errorf("projects %+v", p)
	}
}
