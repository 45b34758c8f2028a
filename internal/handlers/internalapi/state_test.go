package internalapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/app/apptest"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// stateEnv is the whole server with a short token grace, an installation
// and one resource known to both sides.
func stateEnv(t *testing.T) *internalEnv {
	t.Helper()
	env := apptest.New(t, apptest.Options{Catalog: testCatalog, Deliveries: &fastRetries, TokenGrace: 10 * time.Millisecond})
	e := &internalEnv{sim: env.Sim, srv: env.Srv, db: env.App.DB, svc: env.App.Deliveries}
	var err error
	if e.token, err = e.sim.Install(context.Background(), e.srv.URL, testInstallation); err != nil {
		t.Fatal(err)
	}
	e.sim.SetResource(testInstallation, testResource, vercelsim.Resource{ProductID: "postgres", Name: "main"})
	if _, err := env.App.Resources.PutResource(context.Background(), installations.Resource{ID: testResource,
		InstallationID: testInstallation, ProductID: "postgres", Name: "main", Status: "ready", BillingPlanID: "pro200"}); err != nil {
		t.Fatal(err)
	}
	return e
}

// partnerGet reads path from our partner API as Vercel does.
func (e *internalEnv) partnerGet(t *testing.T, path string) string {
	t.Helper()
	res, err := e.sim.CallPartner(t.Context(), "GET", e.srv.URL+"/v1/installations/"+testInstallation+path, testInstallation, nil)
	if err != nil || res.Status != http.StatusOK {
		t.Fatalf("GET %s: %d %v", path, res.Status, err)
	}
	return string(res.Body)
}

// TestNotificationsThroughTheInternalAPI: a notification set on the
// installation and on a resource is delivered and shown by the partner
// API's GET; a delete clears both sides.
func TestNotificationsThroughTheInternalAPI(t *testing.T) {
	t.Parallel()
	e := stateEnv(t)
	base := "/installations/" + testInstallation
	for _, path := range []string{base + "/notification", base + "/resources/" + testResource + "/notification"} {
		status, body := e.call(t, "PUT", path, `{"level":"warn","title":"Maintenance tonight","message":"From 22:00 UTC","href":"https://status.partner.example"}`)
		if status != 200 || deliveryOf(body)["status"] != "delivered" {
			t.Fatalf("PUT %s: %d %v", path, status, body)
		}
		if n, _ := body["notification"].(map[string]any); n["title"] != "Maintenance tonight" {
			t.Errorf("PUT %s answered %v", path, body)
		}
	}
	for _, path := range []string{"", "/resources/" + testResource} {
		if got := e.partnerGet(t, path); !strings.Contains(got, `"notification":{"level":"warn","title":"Maintenance tonight"`) {
			t.Errorf("partner API GET %q: %s", path, got)
		}
	}
	st, _ := e.sim.Installation(testInstallation)
	res, _ := e.sim.Resource(testInstallation, testResource)
	if !strings.Contains(string(st.Notification), "Maintenance tonight") || !strings.Contains(string(res.Notification), "Maintenance tonight") {
		t.Errorf("Vercel shows %s and %s", st.Notification, res.Notification)
	}
	if status, body := e.call(t, "DELETE", base+"/notification", ""); status != 200 || body["notification"] != nil {
		t.Fatalf("DELETE: %d %v", status, body)
	}
	if got := e.partnerGet(t, ""); strings.Contains(got, "notification") {
		t.Errorf("after the delete the partner API shows %s", got)
	}
	if st, _ := e.sim.Installation(testInstallation); string(st.Notification) != "null" {
		t.Errorf("Vercel still shows %s", st.Notification)
	}
}

// TestBadNotificationBodiesAre400WithFields: nothing is kept or queued.
func TestBadNotificationBodiesAre400WithFields(t *testing.T) {
	t.Parallel()
	e := stateEnv(t)
	path := "/installations/" + testInstallation + "/notification"
	for _, tc := range []struct{ name, body, key string }{
		{"a title over 100 characters", `{"level":"info","title":"` + strings.Repeat("x", 101) + `"}`, "title"},
		{"an unknown level", `{"level":"critical","title":"t"}`, "level"},
		{"a javascript: href", `{"level":"info","title":"t","href":"javascript:alert(document.cookie)"}`, "href"},
		{"a NUL", `{"level":"info","title":"a\u0000b"}`, "title"},
		{"an unknown key", `{"level":"info","title":"t","color":"red"}`, "color"},
		{"no body", ``, "body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.call(t, "PUT", path, tc.body)
			errBody, _ := body["error"].(map[string]any)
			fields, _ := errBody["fields"].([]any)
			if status != 400 || len(fields) == 0 || fields[0].(map[string]any)["key"] != tc.key {
				t.Errorf("%d %v, want 400 naming %s", status, body, tc.key)
			}
		})
	}
	if n := len(e.sim.RequestsTo(vercelsim.RouteUpdateInstallation)); n != 0 {
		t.Errorf("Vercel got %d updates", n)
	}
	if got := e.partnerGet(t, ""); strings.Contains(got, "notification") {
		t.Errorf("a bad notification was kept: %s", got)
	}
}

// TestSuspendAndResumeThroughTheInternalAPI (feed mode): the status
// changes here and at Vercel, the feed asks the partner's service.
func TestSuspendAndResumeThroughTheInternalAPI(t *testing.T) {
	t.Parallel()
	e := stateEnv(t)
	base := "/installations/" + testInstallation + "/resources/" + testResource
	status, body := e.call(t, "POST", base+"/suspend", "")
	if res, _ := body["resource"].(map[string]any); status != 200 || res["status"] != "suspended" {
		t.Fatalf("suspend: %d %v", status, body)
	}
	if status, body = e.call(t, "POST", base+"/suspend", ""); status != 200 || body["delivery"] != nil {
		t.Errorf("a repeat: %d %v, want 200 without a delivery", status, body)
	}
	if res, _ := e.sim.Resource(testInstallation, testResource); res.Status != "suspended" {
		t.Errorf("Vercel has %s", res.Status)
	}
	if got := e.partnerGet(t, "/resources/"+testResource); !strings.Contains(got, `"status":"suspended"`) {
		t.Errorf("partner API GET: %s", got)
	}
	if status, body = e.call(t, "POST", base+"/resume", ""); status != 200 {
		t.Fatalf("resume: %d %v", status, body)
	}
	if res, _ := e.sim.Resource(testInstallation, testResource); res.Status != "resumed" {
		t.Errorf("Vercel has %s", res.Status)
	}
	_, feed := e.call(t, "GET", "/events?after=0", "")
	var types []string
	for _, ev := range feed["events"].([]any) {
		if typ := ev.(map[string]any)["type"].(string); strings.HasPrefix(typ, "resource.") {
			types = append(types, typ)
		}
	}
	if strings.Join(types, " ") != "resource.suspend_requested resource.resume_requested" {
		t.Errorf("feed %q", types)
	}
	if status, _ := e.call(t, "POST", "/installations/"+testInstallation+"/resources/db_none/suspend", ""); status != 404 {
		t.Errorf("an unknown resource: %d", status)
	}
}

// TestRotateThroughTheInternalAPI: the answer says when and that the old
// token is revoked, and never carries a token; calls go on working.
func TestRotateThroughTheInternalAPI(t *testing.T) {
	t.Parallel()
	e := stateEnv(t)
	status, body := e.call(t, "POST", "/installations/"+testInstallation+"/credentials/rotate", "")
	if status != 200 || body["revoked"] != true || body["rotatedAt"] == nil || len(body) != 2 {
		t.Fatalf("rotate: %d %v", status, body)
	}
	st, _ := e.sim.Installation(testInstallation)
	if st.AccessToken == e.token || !e.sim.TokenRevoked(testInstallation, e.token) {
		t.Errorf("Vercel has %+v", st)
	}
	if status, body := e.call(t, "GET", "/installations/"+testInstallation+"/account", ""); status != 200 {
		t.Errorf("a call after the rotation: %d %v", status, body)
	}
	e.sim.Enqueue(vercelsim.RouteRotateCredential, vercelsim.Fault{Status: 409})
	status, body = e.call(t, "POST", "/installations/"+testInstallation+"/credentials/rotate", "")
	if msg, _ := body["error"].(map[string]any)["message"].(string); status != 409 || !strings.Contains(msg, "nothing changed") {
		t.Errorf("Vercel refusing: %d %v", status, body)
	}
	if now, _ := e.sim.Installation(testInstallation); now.AccessToken != st.AccessToken {
		t.Error("a refused rotation changed the token")
	}
}

// TestInstallationWebhooksChangeWhatGETShows: a transfer, a scope change
// and a permission upgrade are recorded; a transfer ends the sessions.
func TestInstallationWebhooksChangeWhatGETShows(t *testing.T) {
	t.Parallel()
	e := stateEnv(t)
	send := func(typ string, payload map[string]any) {
		t.Helper()
		status, err := e.sim.DeliverWebhook(t.Context(), e.srv.URL+"/webhooks/vercel", e.sim.CustomEvent(typ, payload))
		if err != nil || status != 200 {
			t.Fatalf("%s: %d %v", typ, status, err)
		}
	}
	config := map[string]any{"id": testInstallation}
	send("integration-configuration.transferred", map[string]any{"configuration": config, "installationId": testInstallation,
		"previousTeamId": "team_old", "previousAccountId": "acc_old", "newTeamId": "team_new", "newAccountId": "acc_new"})
	send("integration-configuration.scope-change-confirmed", map[string]any{"team": map[string]any{"id": "team_new"},
		"configuration": map[string]any{"id": testInstallation, "scopes": []string{"read:project", "read-write:integration-resource"}}})
	send("integration-configuration.permission-upgraded", map[string]any{"team": map[string]any{"id": "team_new"},
		"configuration": map[string]any{"id": testInstallation, "projectSelection": "selected", "projects": []string{"prj_a"}},
		"projects":      map[string]any{"added": []string{"prj_a", "prj_b"}, "removed": []string{}}})
	send("integration-configuration.permission-upgraded", map[string]any{"configuration": map[string]any{"id": testInstallation},
		"projects": map[string]any{"added": []string{}, "removed": []string{"prj_a"}}})
	status, in := e.call(t, "GET", "/installations/"+testInstallation, "")
	if status != 200 || in["teamId"] != "team_new" || in["accountId"] != "acc_new" || in["projectSelection"] != "selected" ||
		toJSON(in["scopes"]) != `["read:project","read-write:integration-resource"]` || toJSON(in["projects"]) != `["prj_b"]` {
		t.Errorf("installation %v", in)
	}
	// A transfer whose ids are not ids, or absent, changes nothing.
	send("integration-configuration.transferred", map[string]any{"configuration": config, "installationId": testInstallation,
		"newTeamId": "team/../../x"})
	if _, in := e.call(t, "GET", "/installations/"+testInstallation, ""); in["teamId"] != "team_new" {
		t.Errorf("a transfer with a bad id moved the installation to %v", in["teamId"])
	}
}
