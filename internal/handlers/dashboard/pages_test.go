package dashboard_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/config"
	"github.com/vercel-partner/partner-server/internal/provisioning"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

func TestDashboardRename(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t)
	renameURL := e.srv.URL + "/dashboard/resources/" + dashResource + "/rename"

	// A USER sees the page read-only, and a forged form post is 403.
	user, _ := e.signIn(t, dashUser, vercelapi.RoleUser, nil)
	p := get(t, user, e.srv.URL+"/dashboard/resources/"+dashResource)
	if p.StatusCode != http.StatusOK || strings.Contains(p.body, "/rename") || !strings.Contains(p.body, "Read-only") {
		t.Fatalf("USER page: %d %.600s", p.StatusCode, p.body)
	}
	if r := postForm(t, user, renameURL, url.Values{"name": {"pwned"}}); r.StatusCode != http.StatusForbidden {
		t.Fatalf("USER rename: %d", r.StatusCode)
	}
	if len(e.sim.Events(dashInst)) != 0 {
		t.Fatal("USER rename reached Vercel")
	}

	admin, _ := e.signIn(t, dashAdmin, vercelapi.RoleAdmin, nil)
	// A cross-site form post is refused before anything happens.
	if r := postForm(t, admin, renameURL, url.Values{"name": {"csrf"}}, "Sec-Fetch-Site", "cross-site"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site rename: %d", r.StatusCode)
	}
	if r := postForm(t, admin, renameURL, url.Values{"name": {"x"}}, "Origin", "https://evil.example"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign Origin rename: %d", r.StatusCode)
	}
	for _, bad := range []string{"", "   ", strings.Repeat("n", 257), "a\x00b"} {
		if r := postForm(t, admin, renameURL, url.Values{"name": {bad}}); r.StatusCode != http.StatusBadRequest {
			t.Fatalf("rename to %q: %d", bad, r.StatusCode)
		}
	}
	r := postForm(t, admin, renameURL, url.Values{"name": {"  orders-db  "}}, "Origin", e.srv.URL)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("ADMIN rename: %d %.300s", r.StatusCode, r.body)
	}
	p = get(t, admin, e.srv.URL+r.Header.Get("Location"))
	if !strings.Contains(p.body, `<h1 id="resource-name">orders-db</h1>`) ||
		!strings.Contains(p.body, `class="notice notice-done" id="notice" role="status">The resource was renamed, and Vercel has the new name.<`) {
		t.Fatalf("after rename: %.800s", p.body)
	}
	events := e.sim.Events(dashInst)
	if len(events) != 1 {
		t.Fatalf("events %d", len(events))
	}
	var ev map[string]string
	json.Unmarshal(events[0], &ev)
	if ev["type"] != "resource.updated" || ev["resourceId"] != dashResource {
		t.Fatalf("event %s", events[0])
	}
	// Unknown resources are 404, not 500.
	if r := postForm(t, admin, e.srv.URL+"/dashboard/resources/db_nope/rename", url.Values{"name": {"x"}}); r.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown resource: %d", r.StatusCode)
	}
	if r := get(t, admin, e.srv.URL+"/dashboard/resources/%2e%2e"); r.StatusCode != http.StatusNotFound {
		t.Fatalf("bad resource id: %d", r.StatusCode)
	}
}

// TestDashboardRotateAsksTheFeed: without a provisioning hook, the
// dashboard's rotation asks the partner's service on the event feed (as
// Vercel's rotation request does) after a confirmation step; it never
// makes secret values up.
func TestDashboardRotateAsksTheFeed(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t)
	rotateURL := e.srv.URL + "/dashboard/resources/" + dashResource + "/rotate"
	user, _ := e.signIn(t, dashUser, vercelapi.RoleUser, nil)
	if r := postForm(t, user, rotateURL, url.Values{"confirm": {"yes"}}); r.StatusCode != http.StatusForbidden {
		t.Fatalf("USER rotate: %d", r.StatusCode)
	}
	admin, _ := e.signIn(t, dashAdmin, vercelapi.RoleAdmin, nil)
	if p := get(t, admin, e.srv.URL+"/dashboard/resources/"+dashResource); !strings.Contains(p.body, "/rotate\"") {
		t.Fatalf("no link to the confirmation: %.300s", p.body)
	}
	if p := get(t, admin, rotateURL); p.StatusCode != 200 || !strings.Contains(p.body, `name="confirm" value="yes"`) {
		t.Fatalf("confirmation page: %d %.300s", p.StatusCode, p.body)
	}
	if r := postForm(t, admin, rotateURL, nil); r.StatusCode != http.StatusSeeOther || !strings.HasSuffix(r.Header.Get("Location"), "/rotate") {
		t.Fatalf("unconfirmed rotate: %d %s, want back to the confirmation", r.StatusCode, r.Header.Get("Location"))
	}
	r := postForm(t, admin, rotateURL, url.Values{"confirm": {"yes"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("rotate: %d %.300s", r.StatusCode, r.body)
	}
	if n := len(e.sim.RequestsTo(vercelsim.RouteUpdateSecretsByID)); n != 0 {
		t.Errorf("the dashboard sent %d secret sets of its own making", n)
	}
	var asked int
	e.db.Get(&asked, `SELECT COUNT(*) FROM events WHERE type = 'resource.secrets_rotation_requested' AND subject = ?`, dashResource)
	if asked != 1 {
		t.Errorf("%d rotation requests on the feed, want 1", asked)
	}
	if p := get(t, admin, e.srv.URL+r.Header.Get("Location")); !strings.Contains(p.body, "notice-pending") ||
		!strings.Contains(p.body, "your service will issue the new values and send them to Vercel") {
		t.Fatalf("no notice: %.500s", p.body)
	}
}

// TestDashboardRotateThroughTheHook: with a provisioning hook, the hook
// issues the new values and they reach Vercel through the delivery queue.
func TestDashboardRotateThroughTheHook(t *testing.T) {
	t.Parallel()
	key := []byte("0123456789abcdef0123456789abcdef")
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := provisioning.Verify("whsec_"+base64.StdEncoding.EncodeToString(key), r.Header, body); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"secrets":[{"name":"DATABASE_URL","value":"postgres://new-from-hook"}]}`)
	}))
	defer hook.Close()
	e := newDashEnv(t, func(c *config.Config) {
		c.Provisioning.HookURL, c.Provisioning.HookSecret = hook.URL, "whsec_"+base64.StdEncoding.EncodeToString(key)
	})
	admin, _ := e.signIn(t, dashAdmin, vercelapi.RoleAdmin, nil)
	r := postForm(t, admin, e.srv.URL+"/dashboard/resources/"+dashResource+"/rotate", url.Values{"confirm": {"yes"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("rotate: %d %.300s", r.StatusCode, r.body)
	}
	secrets := e.sim.Secrets(dashInst, dashResource)
	if len(secrets) != 1 || secrets[0].Value != "postgres://new-from-hook" {
		t.Fatalf("Vercel has %+v, want the hook's value", secrets)
	}
	if p := get(t, admin, e.srv.URL+r.Header.Get("Location")); strings.Contains(p.body, "new-from-hook") ||
		!strings.Contains(p.body, `notice-done" id="notice" role="status">New secret values were issued and sent to Vercel.<`) {
		t.Fatalf("page after rotation: %.500s", p.body)
	}
}

// TestDashboardChangesPlan: an admin moves a resource to another plan of
// its product; Vercel hears resource.updated; a USER cannot.
func TestDashboardChangesPlan(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t)
	planURL := e.srv.URL + "/dashboard/resources/" + dashResource + "/plan"
	user, _ := e.signIn(t, dashUser, vercelapi.RoleUser, nil)
	if p := get(t, user, e.srv.URL+"/dashboard/resources/"+dashResource); strings.Contains(p.body, "plan-select") {
		t.Error("a USER sees the plan form")
	}
	if r := postForm(t, user, planURL, url.Values{"plan": {"hobby"}}); r.StatusCode != http.StatusForbidden {
		t.Fatalf("USER plan change: %d", r.StatusCode)
	}
	admin, _ := e.signIn(t, dashAdmin, vercelapi.RoleAdmin, nil)
	if r := postForm(t, admin, planURL, url.Values{"plan": {"nope"}}); r.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown plan: %d", r.StatusCode)
	}
	if r := postForm(t, admin, planURL, url.Values{"plan": {"hobby"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("plan change: %d %.300s", r.StatusCode, r.body)
	}
	if got, _ := e.resources.GetResource(t.Context(), dashInst, dashResource); got.BillingPlanID != "hobby" {
		t.Errorf("plan %q, want hobby", got.BillingPlanID)
	}
	if n := len(e.sim.RequestsTo(vercelsim.RouteCreateEvent)); n != 1 {
		t.Errorf("%d events sent to Vercel, want resource.updated once", n)
	}
	p := get(t, admin, e.srv.URL+"/dashboard/resources")
	if !strings.Contains(p.body, "Hobby") || !strings.Contains(p.body, "Postgres") {
		t.Errorf("the list shows ids, not names: %.800s", p.body)
	}
}

// TestDashboardShowsInvoicesAndRefundsButTakesNoRefund: members see their
// invoices and the refunds the partner made, but refunds are the
// partner's decision: no page offers a refund form, and a forged post to
// the old form's address (even an ADMIN's, same-origin) is 404 and
// refunds nothing.
func TestDashboardShowsInvoicesAndRefundsButTakesNoRefund(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t)
	inv := e.submitInvoice(t)
	invURL := e.srv.URL + "/dashboard/invoices/" + inv
	user, _ := e.signIn(t, dashUser, vercelapi.RoleUser, url.Values{"path": {"billing"}})
	p := get(t, user, e.srv.URL+"/dashboard/invoices")
	if !strings.Contains(p.body, inv) {
		t.Fatalf("invoice list: %.500s", p.body)
	}
	admin, _ := e.signIn(t, dashAdmin, vercelapi.RoleAdmin, nil)
	for who, c := range map[string]*http.Client{"USER": user, "ADMIN": admin} {
		p = get(t, c, invURL)
		// State comes from Vercel (paid), not our stored "pending".
		if !strings.Contains(p.body, "state-paid") || strings.Contains(p.body, "/refund") || strings.Contains(p.body, "<form method=\"post\" action=\"/dashboard/invoices") {
			t.Fatalf("%s invoice page offers a refund or lacks the state: %.1000s", who, p.body)
		}
	}
	for who, c := range map[string]*http.Client{"USER": user, "ADMIN": admin} {
		if r := postForm(t, c, invURL+"/refund", url.Values{"total": {"20.00"}, "reason": {"forged"}}); r.StatusCode != http.StatusNotFound {
			t.Errorf("%s refund post: %d, want 404", who, r.StatusCode)
		}
	}
	if got, _ := e.sim.Invoice(dashInst, inv); got.State != "paid" || got.RefundTotal != "" {
		t.Fatalf("a dashboard post refunded: sim invoice %+v", got)
	}
	if recs := logRecords(t, e.logs.String(), "dashboard: admin action"); len(recs) != 0 {
		t.Errorf("admin actions logged: %v", recs)
	}

	// The partner refunds through the internal API; the dashboard shows it.
	if status := e.internalPost(t, "/installations/"+dashInst+"/invoices/"+inv+"/refund",
		`{"total":"5.00","reason":"Outage credit"}`); status >= 300 {
		t.Fatalf("internal refund: %d", status)
	}
	p = get(t, user, invURL)
	if !strings.Contains(p.body, `<span class="state state-refund_requested">Refund requested</span>`) || strings.Contains(p.body, ">refund_requested<") ||
		!strings.Contains(p.body, "$5.00") || !strings.Contains(p.body, "Outage credit") {
		t.Fatalf("after the partner's refund: %.1000s", p.body)
	}
	if r := get(t, admin, e.srv.URL+"/dashboard/invoices/inv_other"); r.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown invoice: %d", r.StatusCode)
	}
	// Vercel down: the page still renders our last known state.
	e.sim.SetDown(true)
	defer e.sim.SetDown(false)
	if p := get(t, admin, invURL); p.StatusCode != http.StatusOK || !strings.Contains(p.body, "could not be reached") {
		t.Fatalf("invoice with Vercel down: %d %.600s", p.StatusCode, p.body)
	}
}

func TestLogoutEndsSession(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t)
	c, _ := e.signIn(t, dashAdmin, vercelapi.RoleAdmin, nil)
	srvURL, _ := url.Parse(e.srv.URL)
	stolen := c.Jar.Cookies(srvURL)
	if get(t, c, e.srv.URL+"/dashboard").StatusCode != http.StatusOK {
		t.Fatal("not signed in")
	}
	r := postForm(t, c, e.srv.URL+"/logout", nil)
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/signin") {
		t.Fatalf("logout: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if n := e.sessionCount(t); n != 0 {
		t.Fatalf("sessions after logout: %d", n)
	}
	if r := get(t, c, e.srv.URL+"/dashboard"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("dashboard after logout: %d", r.StatusCode)
	}
	// The old cookie value no longer works either.
	replay := e.browser(t)
	replay.Jar.SetCookies(srvURL, stolen)
	if r := get(t, replay, e.srv.URL+"/dashboard"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("replayed cookie: %d", r.StatusCode)
	}
	if r := get(t, c, e.srv.URL+"/logout"); r.StatusCode != http.StatusMethodNotAllowed || r.Header.Get("Allow") != "POST" {
		t.Fatalf("GET /logout: %d Allow %q", r.StatusCode, r.Header.Get("Allow"))
	}
}

func TestDashboardRenameWhileVercelDown(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t)
	admin, _ := e.signIn(t, dashAdmin, vercelapi.RoleAdmin, nil)
	e.sim.SetDown(true)
	r := postForm(t, admin, e.srv.URL+"/dashboard/resources/"+dashResource+"/rename", url.Values{"name": {"later-db"}})
	if r.StatusCode != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "delivery=pending") {
		t.Fatalf("rename with Vercel down: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	loc, _ := url.Parse(r.Header.Get("Location"))
	id := loc.Query().Get("delivery_id")
	p := get(t, admin, e.srv.URL+r.Header.Get("Location"))
	want := `<p class="notice notice-pending" id="notice" role="status">The resource was renamed here; the new name will reach Vercel shortly. ` +
		`Vercel did not answer yet; it is retried automatically (delivery ` + id + `).</p>`
	if !strings.HasPrefix(id, "dlv_") || !strings.Contains(p.body, want) || !strings.Contains(p.body, ">later-db</h1>") {
		t.Fatalf("pending page, want %s: %.1500s", want, p.body[strings.Index(p.body, "<main>"):])
	}
	// A forged delivery id is not shown.
	q := loc.Query()
	q.Set("delivery_id", "<b>x</b>")
	if p := get(t, admin, e.srv.URL+loc.Path+"?"+q.Encode()); !strings.Contains(p.body, "retried automatically.</p>") || strings.Contains(p.body, "x</b>") {
		t.Errorf("forged delivery id: %.800s", p.body[strings.Index(p.body, "<main>"):])
	}
	e.sim.SetDown(false)
	deadline := time.Now().Add(10 * time.Second)
	for len(e.sim.Events(dashInst)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the queued resource.updated never reached Vercel")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
