package deployments_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/deployments"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// actionPath is the internal API's completion route of the preview's action.
func actionPath(deploymentID string) string {
	return "/installations/" + inst + "/deployments/" + deploymentID + "/actions/" + res + "/" + vercelsim.DefaultAction
}

func succeededWith(branch string) string {
	return `{"status":"succeeded","statusText":"branch ` + branch + ` is ready","outcomes":[{"kind":"resource-secrets",
		"secrets":[{"name":"DATABASE_URL","value":"postgres://app:pw@` + branch + `.db.example:5432/main"}]}]}`
}

// TestPreviewGetsRunningThenSucceededWithItsBranchSecrets: in hook mode
// the hook says running, in feed mode the service does (through the
// internal API); then the service reports succeeded with the branch's
// DATABASE_URL. Vercel receives running, then succeeded with the secret;
// we keep the names only, and the delivered body holds no value.
func TestPreviewGetsRunningThenSucceededWithItsBranchSecrets(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name           string
		hook, postgres bool
	}{{"hook/sqlite", true, false}, {"feed/sqlite", false, false}, {"hook/postgres", true, true}, {"feed/postgres", false, true}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{hook: c.hook, postgres: c.postgres})
			if c.hook {
				e.hook.set(func(r deployments.Request) (int, string) {
					return 200, `{"status":"running","statusText":"creating branch ` + r.DeploymentID + `"}`
				})
			}
			d := e.deploy(t, vercelsim.DeployOptions{NoCheckRun: true})
			if c.hook {
				waitFor(t, "running at Vercel", func() bool { return slices.Equal(statuses(e.Sim, d.ID), []string{"running"}) })
			} else {
				evs := e.feed(t, installations.EventActionRequested)
				if len(evs) != 1 || !strings.Contains(string(evs[0].Data), d.ID) {
					t.Fatalf("feed %+v, want one action request naming the deployment", evs)
				}
				e.complete(t, actionPath(d.ID), `{"status":"running"}`)
			}
			e.complete(t, actionPath(d.ID), succeededWith("br-"+d.ID))
			if got := statuses(e.Sim, d.ID); !slices.Equal(got, []string{"running", "succeeded"}) {
				t.Errorf("Vercel took %v, want running then succeeded", got)
			}
			got, _ := e.Sim.Deployment(d.ID)
			if env := got.Actions[0].Env; len(env) != 1 || env[0].Name != "DATABASE_URL" || !strings.Contains(env[0].Value, "br-"+d.ID) {
				t.Errorf("the deployment's env at Vercel: %+v", env)
			}
			j := e.job(t, d.ID, "actions")
			if j["state"] != "succeeded" || j["vercel"].(map[string]any)["reported"] != "succeeded" ||
				!slices.Equal(anyStrings(j["secretNames"]), []string{"DATABASE_URL"}) {
				t.Errorf("job %v", j)
			}
			e.noSecretAtRest(t, "br-"+d.ID)
		})
	}
}

// noSecretAtRest fails when value is anywhere in the deliveries or jobs.
func (e *env) noSecretAtRest(t *testing.T, value string) {
	t.Helper()
	var n int
	q := `SELECT (SELECT COUNT(*) FROM deliveries WHERE body LIKE ? OR result LIKE ?) +
		(SELECT COUNT(*) FROM deployment_jobs WHERE payload LIKE ? OR status_text LIKE ? OR output LIKE ?)`
	like := "%" + value + ".db.example%"
	if err := e.App.DB.GetContext(t.Context(), &n, e.App.DB.Rebind(q), like, like, like, like, like); err != nil || n != 0 {
		t.Errorf("the secret value is stored in %d rows (%v)", n, err)
	}
	var bodies []string
	if err := e.App.DB.SelectContext(t.Context(), &bodies, e.App.DB.Rebind(`SELECT body FROM deliveries
		WHERE operation = ? AND status = ?`), "updateIntegrationDeploymentAction", "delivered"); err != nil {
		t.Fatal(err)
	}
	for _, b := range bodies {
		if b != "" {
			t.Errorf("a delivered status keeps a body (%d bytes): it may hold secret values", len(b))
		}
	}
}

func anyStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// TestAsyncHookCompletesThroughTheInternalAPI: a hook answering
// {"async": true} puts the request on the feed; the service's completion
// through the internal API reaches Vercel. The same for a check run.
func TestAsyncHookCompletesThroughTheInternalAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{hook: true})
	d := e.deploy(t, vercelsim.DeployOptions{})
	waitFor(t, "the async answers on the feed", func() bool {
		return len(e.feed(t, installations.EventActionRequested)) == 1 && len(e.feed(t, installations.EventCheckRunRequested)) == 1
	})
	if got := statuses(e.Sim, d.ID); len(got) != 0 || len(checkUpdates(e.Sim, d.ID)) != 0 {
		t.Errorf("Vercel got %v before the service answered", got)
	}
	e.complete(t, actionPath(d.ID), succeededWith("async"))
	e.complete(t, checkRunPath(d.ID, d.CheckRuns[0].ID), `{"status":"completed","conclusion":"neutral"}`)
	if got := statuses(e.Sim, d.ID); !slices.Equal(got, []string{"succeeded"}) {
		t.Errorf("Vercel took %v", got)
	}
	if ups := checkUpdates(e.Sim, d.ID); len(ups) != 1 || ups[0].Conclusion != "neutral" {
		t.Errorf("Vercel took %+v for the check run", ups)
	}
	for _, typ := range []string{deployments.TypeAction, deployments.TypeCheckRun} {
		if calls := e.hook.received(typ); len(calls) != 1 {
			t.Errorf("the hook got %d %s requests, want one", len(calls), typ)
		}
	}
	if got, _ := e.Sim.Deployment(d.ID); got.State() != "ready" {
		t.Errorf("the deployment is %s, want ready", got.State())
	}
}

// TestAHookThatNeverAnswersGivesFailedAtTheTimeout: the hook fails every
// call; at deployments.action_timeout Vercel gets failed, "timed out",
// and the hook is no longer called.
func TestAHookThatNeverAnswersGivesFailedAtTheTimeout(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"hook", "feed"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{hook: mode == "hook", timeout: 2 * time.Second})
			if e.hook != nil {
				e.hook.set(func(deployments.Request) (int, string) { return http.StatusServiceUnavailable, "" })
			}
			d := e.deploy(t, vercelsim.DeployOptions{})
			waitFor(t, "failed at Vercel", func() bool { return slices.Equal(statuses(e.Sim, d.ID), []string{"failed"}) })
			got, _ := e.Sim.Deployment(d.ID)
			if st := got.Actions[0].Statuses[0]; st.StatusText != "timed out" {
				t.Errorf("status text %q, want timed out", st.StatusText)
			}
			waitFor(t, "the check run timed out", func() bool {
				got, _ = e.Sim.Deployment(d.ID)
				return got.CheckRuns[0].Last().Conclusion == "timeout"
			})
			if j := e.job(t, d.ID, "actions"); j["state"] != "failed" || j["statusText"] != "timed out" {
				t.Errorf("job %v", j)
			}
			if status, _ := e.call(t, "PATCH", actionPath(d.ID), succeededWith("late")); status != http.StatusConflict {
				t.Errorf("a completion after the timeout: %d, want 409", status)
			}
			if e.hook != nil {
				n := len(e.hook.received(deployments.TypeAction))
				if n < 2 {
					t.Errorf("the failing hook was called %d times, want retries", n)
				}
				time.Sleep(300 * time.Millisecond) // a late call would have been made by now
				if again := len(e.hook.received(deployments.TypeAction)); again != n {
					t.Errorf("the hook was called again after the timeout (%d -> %d)", n, again)
				}
			}
		})
	}
}

// TestACancelInTheMiddleSendsNothingMore: Vercel cancels while the
// action runs; the partner hears the cancel, a queued status is given up,
// and a later answer is refused (409) without reaching Vercel.
func TestACancelInTheMiddleSendsNothingMore(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"hook", "feed"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{hook: mode == "hook"})
			if e.hook != nil {
				e.hook.set(func(deployments.Request) (int, string) { return 200, `{"status":"running"}` })
			}
			d := e.deploy(t, vercelsim.DeployOptions{NoCheckRun: true})
			if e.hook == nil {
				e.complete(t, actionPath(d.ID), `{"status":"running"}`)
			}
			waitFor(t, "running taken by Vercel", func() bool {
				return e.job(t, d.ID, "actions")["vercel"].(map[string]any)["reported"] == "running"
			})
			// Vercel rate-limits for a minute: the next status waits in the
			// queue, and no attempt of it is under way when the cancel comes
			// (one in flight then could still land).
			e.Sim.SetRetryAfter(time.Minute)
			e.Sim.SetMode(vercelsim.ModeRateLimited)
			status, body := e.call(t, "PATCH", actionPath(d.ID), `{"status":"running","statusText":"still going"}`)
			if status != http.StatusAccepted {
				t.Fatalf("a status while Vercel is rate-limiting: %d %v", status, body)
			}
			id := body["delivery"].(map[string]any)["id"].(string)
			waitFor(t, "the first attempt recorded", func() bool {
				_, got := e.call(t, "GET", "/deliveries/"+id, "")
				n, _ := got["delivery"].(map[string]any)["attempts"].(float64)
				return n >= 1
			})
			if err := e.Sim.CancelDeployment(t.Context(), e.webhooks(), d.ID); err != nil {
				t.Fatal(err)
			}
			before := len(e.Sim.RequestsTo(vercelsim.RouteUpdateDeploymentAction))
			e.Sim.SetMode(vercelsim.ModeUp)
			if status, _ := e.call(t, "PATCH", actionPath(d.ID), succeededWith("canceled")); status != http.StatusConflict {
				t.Errorf("a completion after the cancel: %d, want 409", status)
			}
			if j := e.job(t, d.ID, "actions"); j["state"] != "canceled" {
				t.Errorf("job %v, want canceled", j)
			}
			if _, got := e.call(t, "GET", "/deliveries/"+id, ""); got["delivery"].(map[string]any)["status"] != "dead" {
				t.Errorf("the held status is %v, want dead (given up)", got["delivery"])
			}
			if e.hook != nil {
				waitFor(t, "the hook hears the cancel", func() bool { return len(e.hook.received(deployments.TypeActionCancel)) == 1 })
			} else if evs := e.feed(t, installations.EventActionCanceled); len(evs) != 1 {
				t.Errorf("feed %+v, want one cancel", evs)
			}
			time.Sleep(300 * time.Millisecond) // a status still queued would have been sent by now
			if after := e.Sim.RequestsTo(vercelsim.RouteUpdateDeploymentAction); len(after) > before {
				t.Errorf("Vercel got %d more statuses after the cancel", len(after)-before)
			}
			if got := statuses(e.Sim, d.ID); !slices.Equal(got, []string{"running"}) {
				t.Errorf("Vercel took %v, want only the first running", got)
			}
		})
	}
}

// TestARedeliveredStartStartsNothing: the same event again, and a second
// start of the same action (or check run) under a new event id, make no
// second job, hook call or feed request.
func TestARedeliveredStartStartsNothing(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"hook", "feed"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{hook: mode == "hook"})
			d := e.deploy(t, vercelsim.DeployOptions{})
			got, _ := e.Sim.Deployment(d.ID)
			run := got.CheckRuns[0]
			again := []vercelsim.WebhookEvent{
				e.Sim.CustomEvent(vercelsim.EventActionStart, map[string]any{"installationId": inst,
					"configuration": map[string]any{"id": inst}, "resourceId": res, "action": got.Actions[0].Action,
					"deployment": map[string]any{"id": d.ID}}),
				e.Sim.CustomEvent(vercelsim.EventCheckRunStart, map[string]any{"deployment": map[string]any{"id": d.ID},
					"checkRun": map[string]any{"id": run.ID, "checkId": run.CheckID, "deploymentId": d.ID,
						"source": map[string]any{"kind": "integration", "integrationConfigurationId": inst, "externalResourceId": res}}}),
			}
			for i, ev := range again {
				for range 2 { // a new id for the same job, then that event again
					if status, err := e.Sim.DeliverWebhook(t.Context(), e.webhooks(), ev, vercelsim.WithEventID(fmt.Sprint("evt_again_", i))); err != nil || status != http.StatusOK {
						t.Fatalf("redeliver: %d %v", status, err)
					}
				}
			}
			_, body := e.call(t, "GET", "/installations/"+inst+"/deployments/"+d.ID, "")
			if a, c := body["actions"].([]any), body["checkRuns"].([]any); len(a) != 1 || len(c) != 1 {
				t.Errorf("%d actions and %d check runs, want one each", len(a), len(c))
			}
			for _, typ := range []string{deployments.TypeAction, deployments.TypeCheckRun} {
				if e.hook != nil {
					waitFor(t, "the hook call", func() bool { return len(e.hook.received(typ)) >= 1 })
				}
			}
			time.Sleep(200 * time.Millisecond) // a second call would have been made by now
			for typ, event := range map[string]string{deployments.TypeAction: installations.EventActionRequested,
				deployments.TypeCheckRun: installations.EventCheckRunRequested} {
				if e.hook != nil {
					if n := len(e.hook.received(typ)); n != 1 {
						t.Errorf("the hook got %d %s requests, want one", n, typ)
					}
				} else if n := len(e.feed(t, event)); n != 1 {
					t.Errorf("%d %s on the feed, want one", n, event)
				}
			}
		})
	}
}
