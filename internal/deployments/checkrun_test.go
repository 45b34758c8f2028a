package deployments_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/deployments"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

func checkRunPath(deploymentID, checkRunID string) string {
	return "/installations/" + inst + "/deployments/" + deploymentID + "/check-runs/" + checkRunID
}

// checkUpdates is what Vercel took for the deployment's first check run.
func checkUpdates(sim *vercelsim.Sim, deploymentID string) []vercelsim.CheckRunStatus {
	d, _ := sim.Deployment(deploymentID)
	if len(d.CheckRuns) == 0 {
		return nil
	}
	return d.CheckRuns[0].Updates
}

// TestACheckRunGetsRunningThenCompletedWithALinkToItsPage: the hook (or,
// in feed mode, the service) says running, the service completes it;
// each status links the check run's page on our dashboard (sso:), and the
// page is what the link opens.
func TestACheckRunGetsRunningThenCompletedWithALinkToItsPage(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"hook", "feed"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{hook: mode == "hook"})
			if e.hook != nil {
				e.hook.set(func(deployments.Request) (int, string) { return 200, `{"status":"running"}` })
			}
			d := e.deploy(t, vercelsim.DeployOptions{NoAction: true})
			run := d.CheckRuns[0].ID
			if e.hook == nil {
				evs := e.feed(t, installations.EventCheckRunRequested)
				if len(evs) != 1 || !strings.Contains(string(evs[0].Data), run) {
					t.Fatalf("feed %+v, want the check run request", evs)
				}
				e.complete(t, checkRunPath(d.ID, run), `{"status":"running"}`)
			}
			waitFor(t, "running at Vercel", func() bool { return len(checkUpdates(e.Sim, d.ID)) == 1 })
			e.complete(t, checkRunPath(d.ID, run), `{"status":"completed","conclusion":"succeeded","output":{"migrations":3}}`)
			ups := checkUpdates(e.Sim, d.ID)
			link := "sso:" + e.URL + "/dashboard/checks/" + run
			if len(ups) != 2 || ups[0].Status != "running" || ups[1].Status != "completed" || ups[1].Conclusion != "succeeded" ||
				ups[0].ExternalURL != link || ups[1].ExternalURL != link || ups[1].Output["migrations"] == nil {
				t.Errorf("Vercel took %+v, want running then completed/succeeded, linking %s", ups, link)
			}
			if j := e.job(t, d.ID, "checkRuns"); j["state"] != "completed" || j["conclusion"] != "succeeded" ||
				j["vercel"].(map[string]any)["reported"] != "completed: succeeded" {
				t.Errorf("job %v", j)
			}
		})
	}
}

// TestACanceledCheckRunTakesNothingMore: the hook hears the cancel and
// the service's completion is refused.
func TestACanceledCheckRunTakesNothingMore(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{hook: true})
	d := e.deploy(t, vercelsim.DeployOptions{NoAction: true})
	waitFor(t, "the hook's async answer", func() bool { return len(e.feed(t, installations.EventCheckRunRequested)) == 1 })
	if err := e.Sim.CancelDeployment(t.Context(), e.webhooks(), d.ID); err != nil {
		t.Fatal(err)
	}
	if status, _ := e.call(t, "PATCH", checkRunPath(d.ID, d.CheckRuns[0].ID), `{"status":"completed","conclusion":"failed"}`); status != http.StatusConflict {
		t.Errorf("completion after the cancel: %d, want 409", status)
	}
	waitFor(t, "the hook hears the cancel", func() bool { return len(e.hook.received(deployments.TypeCheckRunCancel)) == 1 })
	if n := len(e.Sim.RequestsTo(vercelsim.RouteUpdateCheckRun)); n != 0 {
		t.Errorf("Vercel got %d check-run updates", n)
	}
}

// TestCompletionsAreCheckedBeforeAnythingIsQueued: bad bodies are 400 with
// fields, unknown jobs 404; nothing reaches Vercel.
func TestCompletionsAreCheckedBeforeAnythingIsQueued(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	d := e.deploy(t, vercelsim.DeployOptions{})
	run := d.CheckRuns[0].ID
	secret := func(name, value string) string {
		return `{"status":"succeeded","outcomes":[{"kind":"resource-secrets","secrets":[{"name":"` + name + `","value":"` + value + `"}]}]}`
	}
	for _, c := range []struct {
		name, path, body string
		status           int
		field            string
	}{
		{"bad status", actionPath(d.ID), `{"status":"done"}`, 400, "status"},
		{"no status", actionPath(d.ID), `{"statusText":"x"}`, 400, "status"},
		{"unknown key", actionPath(d.ID), `{"status":"running","extra":1}`, 400, "extra"},
		{"http statusUrl", actionPath(d.ID), `{"status":"running","statusUrl":"http://svc.example/x"}`, 400, "statusUrl"},
		{"javascript statusUrl", actionPath(d.ID), `{"status":"running","statusUrl":"javascript:alert(1)"}`, 400, "statusUrl"},
		{"lower-case secret", actionPath(d.ID), secret("database_url", "x"), 400, "outcomes[0].secrets[0].name"},
		{"secret the product does not name", actionPath(d.ID), secret("OTHER_URL", "x"), 400, "outcomes[0].secrets[0].name"},
		{"NUL in a value", actionPath(d.ID), secret("DATABASE_URL", `a\u0000b`), 400, "outcomes[0].secrets[0].value"},
		{"bad outcome kind", actionPath(d.ID), `{"status":"succeeded","outcomes":[{"kind":"env","secrets":[]}]}`, 400, "outcomes[0].kind"},
		{"unknown action", "/installations/" + inst + "/deployments/" + d.ID + "/actions/" + res + "/migrate", `{"status":"running"}`, 404, ""},
		{"unknown deployment", actionPath("dpl_nope"), `{"status":"running"}`, 404, ""},
		{"unknown installation", strings.Replace(actionPath(d.ID), inst, "icfg_nope", 1), `{"status":"running"}`, 404, ""},
		{"completed without conclusion", checkRunPath(d.ID, run), `{"status":"completed"}`, 400, "conclusion"},
		{"queued", checkRunPath(d.ID, run), `{"status":"queued"}`, 400, "status"},
		{"conclusion while running", checkRunPath(d.ID, run), `{"status":"running","conclusion":"failed"}`, 400, "conclusion"},
		{"output not an object", checkRunPath(d.ID, run), `{"status":"running","output":[1]}`, 400, "output"},
		{"bad externalUrl", checkRunPath(d.ID, run), `{"status":"running","externalUrl":"ftp://x"}`, 400, "externalUrl"},
		{"unknown check run", checkRunPath(d.ID, "chkrun_nope"), `{"status":"running"}`, 404, ""},
		{"check run of another deployment", checkRunPath("dpl_other", run), `{"status":"running"}`, 404, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, body := e.call(t, "PATCH", c.path, c.body)
			if status != c.status {
				t.Fatalf("%d %v, want %d", status, body, c.status)
			}
			if c.field != "" && !hasField(body, c.field) {
				t.Errorf("fields of %v do not name %s", body, c.field)
			}
		})
	}
	if n := len(e.Sim.RequestsTo(vercelsim.RouteUpdateDeploymentAction)) + len(e.Sim.RequestsTo(vercelsim.RouteUpdateCheckRun)); n != 0 {
		t.Errorf("Vercel got %d calls", n)
	}
}

func hasField(body map[string]any, key string) bool {
	errBody, _ := body["error"].(map[string]any)
	fields, _ := errBody["fields"].([]any)
	for _, f := range fields {
		if m, _ := f.(map[string]any); m["key"] == key {
			return true
		}
	}
	return false
}

// TestStartsThatCannotRunAreFailedAtOnce: an unknown resource is stored,
// answered 2xx and reported to Vercel as failed with the reason; an
// unknown installation is recorded failed (we hold no token to tell
// Vercel), visibly.
func TestStartsThatCannotRunAreFailedAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{hook: true})
	e.Sim.SetResource(inst, "db_gone", vercelsim.Resource{ProductID: "postgres", Name: "gone"})
	ev := e.Sim.ProjectConnectedEvent(inst, "db_gone", vercelsim.Project{ID: "prj_other", Name: "other"}, []string{"preview"})
	if status, err := e.Sim.DeliverWebhook(t.Context(), e.webhooks(), ev); err != nil || status != http.StatusOK {
		t.Fatal(status, err)
	}
	d, err := e.Sim.DeployPreview(t.Context(), e.webhooks(), inst, "prj_other", vercelsim.DeployOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "failed at Vercel", func() bool {
		got, _ := e.Sim.Deployment(d.ID)
		return len(got.Actions[0].Statuses) == 1 && got.CheckRuns[0].Last().Status == "completed"
	})
	got, _ := e.Sim.Deployment(d.ID)
	if st := got.Actions[0].Statuses[0]; st.Status != "failed" || st.StatusText != "unknown resource" {
		t.Errorf("Vercel took %+v, want failed: unknown resource", st)
	}
	if c := got.CheckRuns[0].Last(); c.Conclusion != "failed" {
		t.Errorf("the check run ended %+v, want failed", c)
	}
	if calls := append(e.hook.received(deployments.TypeAction), e.hook.received(deployments.TypeCheckRun)...); len(calls) != 0 {
		t.Errorf("the hook was asked about a resource we do not have: %+v", calls)
	}

	unknown := e.Sim.CustomEvent(vercelsim.EventActionStart, map[string]any{"installationId": "icfg_unknown0000000000000001",
		"resourceId": res, "action": "create-branch", "deployment": map[string]any{"id": "dpl_elsewhere"}})
	if status, err := e.Sim.DeliverWebhook(t.Context(), e.webhooks(), unknown); err != nil || status != http.StatusOK {
		t.Fatalf("unknown installation: %d %v", status, err)
	}
	status, body := e.call(t, "GET", "/installations/icfg_unknown0000000000000001/deployments/dpl_elsewhere", "")
	list, _ := body["actions"].([]any)
	if status != http.StatusOK || len(list) != 1 {
		t.Fatalf("%d %v", status, body)
	}
	j := list[0].(map[string]any)
	if j["state"] != "failed" || !strings.Contains(j["vercel"].(map[string]any)["error"].(string), "unknown installation") {
		t.Errorf("job %v, want failed with the reason Vercel cannot be told", j)
	}
}

// TestVercelRefusingAStatusIsVisibleAndNotRetried: Vercel answers 404 to
// the hook's status; the job says so and nothing is sent again.
func TestVercelRefusingAStatusIsVisibleAndNotRetried(t *testing.T) {
	t.Parallel()
	for _, refusal := range []int{http.StatusNotFound, http.StatusConflict} {
		t.Run(http.StatusText(refusal), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{hook: true})
			e.hook.set(func(deployments.Request) (int, string) { return 200, succeededWith("refused") })
			e.Sim.Enqueue(vercelsim.RouteUpdateDeploymentAction, vercelsim.Fault{Status: refusal})
			d := e.deploy(t, vercelsim.DeployOptions{NoCheckRun: true})
			var j map[string]any
			waitFor(t, "the refusal on the job", func() bool {
				j = e.job(t, d.ID, "actions")
				return j["vercel"].(map[string]any)["error"] != nil
			})
			if why := j["vercel"].(map[string]any)["error"].(string); j["state"] != "succeeded" ||
				!strings.Contains(why, "refused") || !strings.Contains(why, strconv.Itoa(refusal)) {
				t.Errorf("job %v, want succeeded here and Vercel's refusal (%d) shown", j, refusal)
			}
			time.Sleep(300 * time.Millisecond) // a retry would have been made by now
			if n := len(e.Sim.RequestsTo(vercelsim.RouteUpdateDeploymentAction)); n != 1 {
				t.Errorf("Vercel was asked %d times, want once", n)
			}
			e.noSecretAtRest(t, "refused")
		})
	}
}
