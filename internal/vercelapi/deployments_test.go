package vercelapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestDeploymentActionUpdateIsCheckedLikeVercel(t *testing.T) {
	t.Parallel()
	secret := func(name, value string) *DeploymentActionUpdate {
		return &DeploymentActionUpdate{Status: ActionSucceeded, Outcomes: []DeploymentOutcome{{Kind: OutcomeResourceSecrets,
			Secrets: []OutcomeSecret{{Name: name, Value: value}}}}}
	}
	for _, c := range []struct {
		name  string
		u     *DeploymentActionUpdate
		field string // "" when valid
	}{
		{"running", &DeploymentActionUpdate{Status: ActionRunning, StatusURL: "https://svc.example/branches/1"}, ""},
		{"sso link", &DeploymentActionUpdate{Status: ActionRunning, StatusURL: "sso:https://svc.example/b"}, ""},
		{"relative sso link", &DeploymentActionUpdate{Status: ActionRunning, StatusURL: "sso:/branches/1"}, ""},
		{"secret", secret("DATABASE_URL", "postgres://x"), ""},
		{"no status", &DeploymentActionUpdate{}, "status"},
		{"unknown status", &DeploymentActionUpdate{Status: "done"}, "status"},
		{"http link", &DeploymentActionUpdate{Status: ActionRunning, StatusURL: "http://svc.example"}, "statusUrl"},
		{"sso to nowhere", &DeploymentActionUpdate{Status: ActionRunning, StatusURL: "sso://evil.example"}, "statusUrl"},
		{"script link", &DeploymentActionUpdate{Status: ActionRunning, StatusURL: "javascript:alert(1)"}, "statusUrl"},
		{"link with credentials", &DeploymentActionUpdate{Status: ActionRunning, StatusURL: "https://u:p@svc.example"}, "statusUrl"},
		{"lower-case name", secret("database_url", "x"), "outcomes[0].secrets[0].name"},
		{"name with a dash", secret("DATABASE-URL", "x"), "outcomes[0].secrets[0].name"},
		{"empty value", secret("DATABASE_URL", ""), "outcomes[0].secrets[0].value"},
		{"other kind", &DeploymentActionUpdate{Status: ActionSucceeded, Outcomes: []DeploymentOutcome{{Kind: "env", Secrets: []OutcomeSecret{}}}}, "outcomes[0].kind"},
		{"no secrets", &DeploymentActionUpdate{Status: ActionSucceeded, Outcomes: []DeploymentOutcome{{Kind: OutcomeResourceSecrets}}}, "outcomes[0].secrets"},
	} {
		err := c.u.Validate()
		if c.field == "" && err != nil || c.field != "" && !hasField(err, c.field) {
			t.Errorf("%s: %v, want field %q", c.name, err, c.field)
		}
	}
	var u DeploymentActionUpdate
	if err := DecodeStrict([]byte(`{"status":"running","extra":true}`), &u); !hasField(err, "extra") {
		t.Errorf("an unknown key: %v", err)
	}
}

func TestCheckRunUpdateIsCheckedLikeVercel(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		u     *CheckRunUpdate
		field string
	}{
		{"running", &CheckRunUpdate{Status: CheckRunRunning, ExternalURL: "sso:http://localhost:8080/dashboard/checks/1"}, ""},
		{"completed", &CheckRunUpdate{Status: CheckRunCompleted, Conclusion: "succeeded", Output: map[string]any{"a": 1}}, ""},
		{"completed without conclusion", &CheckRunUpdate{Status: CheckRunCompleted}, "conclusion"},
		{"unknown conclusion", &CheckRunUpdate{Status: CheckRunCompleted, Conclusion: "passed"}, "conclusion"},
		{"no status", &CheckRunUpdate{}, "status"},
		{"plain http link", &CheckRunUpdate{Status: CheckRunRunning, ExternalURL: "http://x.example"}, "externalUrl"},
	} {
		err := c.u.Validate()
		if c.field == "" && err != nil || c.field != "" && !hasField(err, c.field) {
			t.Errorf("%s: %v, want field %q", c.name, err, c.field)
		}
	}
}

// TestDeploymentCallsGoWhereVercelWantsThem: the methods, paths (ids
// escaped) and bodies of the two calls.
func TestDeploymentCallsGoWhereVercelWantsThem(t *testing.T) {
	t.Parallel()
	type seen struct {
		method, path string
		body         map[string]any
	}
	got := make(chan seen, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		json.Unmarshal(b, &m)
		got <- seen{r.Method, r.URL.EscapedPath(), m}
		if r.URL.Path[:3] == "/v2" {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"id":"chkrun_1"}`)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	c, err := NewClient(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.UpdateDeploymentAction(ctx, "tok", "icfg_1", "dpl_1", "res 1", "create-branch",
		&DeploymentActionUpdate{Status: ActionSucceeded, StatusText: "ok"}); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s.method != http.MethodPatch || s.path != "/v1/deployments/dpl_1/integrations/icfg_1/resources/res%201/actions/create-branch" ||
		s.body["status"] != "succeeded" || s.body["statusText"] != "ok" || len(s.body) != 2 {
		t.Errorf("action update %+v", s)
	}
	if err := c.UpdateCheckRun(ctx, "tok", "dpl_1", "chkrun_1", &CheckRunUpdate{Status: CheckRunCompleted, Conclusion: "failed"}); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s.method != http.MethodPatch || s.path != "/v2/deployments/dpl_1/check-runs/chkrun_1" ||
		s.body["conclusion"] != "failed" || len(s.body) != 2 {
		t.Errorf("check run update %+v", s)
	}
	if err := c.UpdateDeploymentAction(ctx, "tok", "icfg_1", "dpl_1", "res", "a", &DeploymentActionUpdate{Status: "done"}); !hasField(err, "status") {
		t.Errorf("a bad body was sent: %v", err)
	}
}
