package console_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vercel-partner/partner-server/internal/app/apptest"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// withResource gives the console env's installation a resource known to
// both sides.
func (e *consoleEnv) withResource(t *testing.T) string {
	t.Helper()
	const id = "res_console1"
	e.Sim.SetResource(installation, id, vercelsim.Resource{ProductID: "postgres", Name: "main"})
	if _, err := e.App.Resources.PutResource(t.Context(), installations.Resource{ID: id, InstallationID: installation,
		ProductID: "postgres", Name: "main", BillingPlanID: "pro200", Status: "ready"}); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestOperatorSetsNotificationsSuspendsAndRotates(t *testing.T) {
	t.Parallel()
	e := newConsoleEnv(t, apptest.Options{})
	rid := e.withResource(t)
	c := e.signIn(t, operator)
	base := "/console/installations/" + installation
	steps := []struct {
		name, path string
		form       url.Values
		route      string // the call Vercel receives
		body       string // in its body
	}{
		{"installation notification", base + "/notification", url.Values{"level": {"warn"}, "title": {"Card expiring"},
			"href": {"https://partner.example/billing"}}, vercelsim.RouteUpdateInstallation, `"title":"Card expiring"`},
		{"installation notification cleared", base + "/notification/clear", url.Values{}, vercelsim.RouteUpdateInstallation, `"notification":null`},
		{"resource notification", base + "/resources/" + rid + "/notification", url.Values{"level": {"error"}, "title": {"Disk full"}},
			vercelsim.RouteUpdateResource, `"title":"Disk full"`},
		{"suspend", base + "/resources/" + rid + "/suspend", url.Values{}, vercelsim.RouteUpdateResource, `"status":"suspended"`},
		{"resume", base + "/resources/" + rid + "/resume", url.Values{}, vercelsim.RouteUpdateResource, `"status":"resumed"`},
		{"token rotation", base + "/credentials/rotate", url.Values{}, vercelsim.RouteRotateCredential, ``},
	}
	for _, s := range steps {
		before := len(e.Sim.RequestsTo(s.route))
		a := e.post(t, c, s.path, s.form)
		if a.status != http.StatusSeeOther || !strings.HasPrefix(a.location, base+"?") {
			t.Fatalf("%s: %d to %q: %.300s", s.name, a.status, a.location, a.body)
		}
		reqs := e.Sim.RequestsTo(s.route)
		if len(reqs) != before+1 || !bytes.Contains(reqs[len(reqs)-1].Body, []byte(s.body)) {
			t.Fatalf("%s: Vercel received %d calls to %s, the last %s", s.name, len(reqs)-before, s.route, reqs[len(reqs)-1].Body)
		}
	}
	if len(e.Sim.RequestsTo(vercelsim.RouteRevokeCredential)) == 0 {
		t.Error("the old token was not revoked")
	}
	page := send(t, c, "GET", e.URL+base, nil)
	if !strings.Contains(page.body, "Disk full") || !strings.Contains(page.body, `id="status-`+rid+`">resumed`) {
		t.Errorf("the page does not show the resource's notification and status: %.2000s", page.body)
	}
	if a := e.post(t, c, base+"/notification", url.Values{"level": {"loud"}, "title": {"x"}}); a.status != http.StatusBadRequest ||
		!strings.Contains(a.body, "level") {
		t.Errorf("a bad notification: %d %.300s", a.status, a.body)
	}
	var actions []string
	for _, x := range auditActions(t, e) {
		if x["actorKind"] == "staff" && x["actor"] == operator {
			actions = append(actions, x["action"].(string))
		}
	}
	want := "console.sign_in notification.set notification.clear notification.set resource.suspend resource.resume credentials.rotate"
	if got := strings.Join(actions, " "); got != want {
		t.Errorf("audited %s\nwant    %s", got, want)
	}
}

func TestViewerIsRefusedStateActions(t *testing.T) {
	t.Parallel()
	e := newConsoleEnv(t, apptest.Options{})
	rid := e.withResource(t)
	c := e.signIn(t, viewer)
	base := "/console/installations/" + installation
	for _, p := range []string{base + "/notification", base + "/notification/clear", base + "/resources/" + rid + "/notification",
		base + "/resources/" + rid + "/notification/clear", base + "/resources/" + rid + "/suspend", base + "/resources/" + rid + "/resume",
		base + "/credentials/rotate"} {
		if a := e.post(t, c, p, url.Values{"level": {"info"}, "title": {"t"}}); a.status != http.StatusForbidden {
			t.Errorf("viewer POST %s: %d, want 403", p, a.status)
		}
	}
	for _, route := range []string{vercelsim.RouteUpdateInstallation, vercelsim.RouteUpdateResource, vercelsim.RouteRotateCredential} {
		if n := len(e.Sim.RequestsTo(route)); n != 0 {
			t.Errorf("Vercel received %d calls to %s from a viewer", n, route)
		}
	}
}
