package console_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/app/apptest"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// internal calls the internal API as the partner's services do.
func (e *consoleEnv) internal(t testing.TB, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, e.URL+"/internal/v1"+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+apptest.InternalToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	json.Unmarshal(raw, &out)
	return res.StatusCode, out
}

// paidInvoice submits a paid test invoice of 20.00 and returns Vercel's id.
func (e *consoleEnv) paidInvoice(t testing.TB) string {
	t.Helper()
	now := time.Now().UTC()
	f := func(t time.Time) string { return t.Format("2006-01-02T15:04:05.000Z") }
	body := fmt.Sprintf(`{"externalId":"inv-console","invoiceDate":%q,"period":{"start":%q,"end":%q},
		"items":[{"billingPlanId":"pro200","name":"Pro plan","price":"20.00","quantity":1,"units":"month","total":"20.00"}],
		"test":{"validate":true,"result":"paid"}}`, f(now.Add(-3*time.Hour)), f(now.AddDate(0, -1, 0)), f(now.Add(-2*time.Hour)))
	status, out := e.internal(t, "POST", "/installations/"+installation+"/invoices", body)
	res, _ := out["result"].(map[string]any)
	id, _ := res["invoiceId"].(string)
	if status != 201 || id == "" {
		t.Fatalf("invoice: %d %v", status, out)
	}
	return id
}

// deadDelivery forwards an event while Vercel is down, with a max age so
// short that the first failure kills it, and brings Vercel back.
func (e *consoleEnv) deadDelivery(t testing.TB) string {
	t.Helper()
	e.Sim.SetMode(vercelsim.ModeDown)
	defer e.Sim.SetMode(vercelsim.ModeUp)
	_, out := e.internal(t, "POST", "/installations/"+installation+"/events", `{"event":{"type":"installation.updated"}}`)
	list, err := e.App.Deliveries.List(t.Context(), installations.DeliveryFilter{Status: deliveries.StatusDead, Limit: 10})
	if err != nil || len(list) == 0 {
		t.Fatalf("no dead delivery (%v): %v", err, out)
	}
	return list[0].ID
}

func auditActions(t testing.TB, e *consoleEnv) []map[string]any {
	t.Helper()
	_, out := e.internal(t, "GET", "/audit", "")
	var list []map[string]any
	for _, x := range out["entries"].([]any) {
		list = append(list, x.(map[string]any))
	}
	return list
}

func TestOperatorRefundsRetriesAndIsAudited(t *testing.T) {
	t.Parallel()
	e := newConsoleEnv(t, apptest.Options{Deliveries: &deliveries.Options{FirstAttemptTimeout: 2 * time.Second,
		BaseBackoff: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, PollInterval: 20 * time.Millisecond,
		MaxAge: time.Millisecond, Workers: 2}})
	invoice := e.paidInvoice(t)
	dead := e.deadDelivery(t)
	c := e.signIn(t, operator)

	page := send(t, c, "GET", e.URL+"/console/installations/"+installation, nil)
	if page.status != 200 || !strings.Contains(page.body, installation) || !strings.Contains(page.body, invoice) {
		t.Fatalf("installation page: %d %.500s", page.status, page.body)
	}
	a := e.post(t, c, "/console/installations/"+installation+"/invoices/"+invoice+"/refund", url.Values{"total": {"5.00"}, "reason": {"goodwill"}})
	if a.status != http.StatusSeeOther || !strings.HasPrefix(a.location, "/console/installations/"+installation+"?") {
		t.Fatalf("refund: %d to %q: %.300s", a.status, a.location, a.body)
	}
	upd := e.Sim.RequestsTo(vercelsim.RouteUpdateInvoice)
	if len(upd) != 1 || !bytes.Contains(upd[0].Body, []byte(`"total":"5.00"`)) || !bytes.Contains(upd[0].Body, []byte(`"action":"refund"`)) {
		t.Fatalf("Vercel received %d refunds: %v", len(upd), upd)
	}
	if notice := send(t, c, "GET", e.URL+a.location, nil); !strings.Contains(notice.body, "The refund was sent to Vercel.") {
		t.Errorf("no notice after the refund: %.300s", notice.body)
	}
	if a := e.post(t, c, "/console/installations/"+installation+"/invoices/"+invoice+"/refund", url.Values{"total": {"20.01"}, "reason": {"x"}}); a.status != 400 ||
		!strings.Contains(a.body, "must not exceed the invoice total") {
		t.Errorf("a refund above the total: %d %.300s", a.status, a.body)
	}

	a = e.post(t, c, "/console/deliveries/"+dead+"/retry", url.Values{"back": {"/console/deliveries?status=dead"}})
	if a.status != http.StatusSeeOther || !strings.HasPrefix(a.location, "/console/deliveries?status=dead&") {
		t.Fatalf("retry: %d to %q: %.300s", a.status, a.location, a.body)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		d, _ := e.App.Deliveries.Get(t.Context(), dead)
		if d.Status == deliveries.StatusDelivered {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the retried delivery is %s", d.Status)
		}
	}
	if a := e.post(t, c, "/console/deliveries/"+dead+"/retry", url.Values{"back": {"https://evil.example/"}}); a.status != http.StatusConflict {
		t.Errorf("retrying a delivered delivery: %d", a.status)
	}

	entries := auditActions(t, e)
	var staff []string
	for _, x := range entries {
		if x["actorKind"] == "staff" {
			staff = append(staff, fmt.Sprint(x["actor"], " ", x["action"], " ", x["installationId"], " ", x["deliveryId"] != nil))
		}
	}
	want := []string{operator + " console.sign_in <nil> false", operator + " invoice.refund " + installation + " true",
		operator + " delivery.retry " + installation + " true"}
	if fmt.Sprint(staff) != fmt.Sprint(want) {
		t.Errorf("staff audit entries\n %q\nwant\n %q", staff, want)
	}
	auditPage := send(t, c, "GET", e.URL+"/console/audit", nil)
	if auditPage.status != 200 || strings.Count(auditPage.body, `<span class="actor">`+operator) != 3 {
		t.Errorf("audit page: %d %.600s", auditPage.status, auditPage.body)
	}
}

// TestViewerSeesEveryPageAndIsRefusedEveryAction: a viewer's post to
// any action is 403 and changes nothing.
func TestViewerSeesEveryPageAndIsRefusedEveryAction(t *testing.T) {
	t.Parallel()
	e := newConsoleEnv(t, apptest.Options{})
	invoice := e.paidInvoice(t)
	c := e.signIn(t, viewer)
	for _, p := range []string{"/console", "/console?q=acme", "/console/installations/" + installation, "/console/deliveries",
		"/console/deliveries?status=dead", "/console/webhooks", "/console/audit"} {
		if a := send(t, c, "GET", e.URL+p, nil); a.status != 200 || !strings.Contains(a.body, "signed in as a viewer") {
			t.Errorf("viewer GET %s: %d", p, a.status)
		}
	}
	if page := send(t, c, "GET", e.URL+"/console/installations/"+installation, nil); !strings.Contains(page.body, `disabled title="Operators only"`) {
		t.Error("the viewer's buttons are not disabled")
	}
	for _, p := range []string{
		"/console/installations/" + installation + "/invoices/" + invoice + "/refund",
		"/console/installations/" + installation + "/billing/periods/2026-01/retry",
		"/console/deliveries/dlv_x/retry",
		"/console/deliveries/dlv_x/cancel",
	} {
		a := e.post(t, c, p, url.Values{"total": {"1.00"}, "reason": {"viewer"}})
		if a.status != http.StatusForbidden || !strings.Contains(a.body, "only operators can act") {
			t.Errorf("viewer POST %s: %d, want 403", p, a.status)
		}
	}
	if n := len(e.Sim.RequestsTo(vercelsim.RouteUpdateInvoice)); n != 0 {
		t.Errorf("Vercel received %d refunds from a viewer", n)
	}
	for _, x := range auditActions(t, e) {
		if x["action"] != "console.sign_in" && x["actorKind"] == "staff" {
			t.Errorf("a viewer's refused action was audited: %v", x)
		}
	}
}

func TestCrossSiteFormsAreRefused(t *testing.T) {
	t.Parallel()
	e := newConsoleEnv(t, apptest.Options{})
	invoice := e.paidInvoice(t)
	c := e.signIn(t, operator)
	path := e.URL + "/console/installations/" + installation + "/invoices/" + invoice + "/refund"
	form := url.Values{"total": {"1.00"}, "reason": {"csrf"}}
	for _, hdr := range [][]string{{"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}} {
		if a := send(t, c, "POST", path, form, hdr...); a.status != http.StatusForbidden || !strings.Contains(a.body, "another site") {
			t.Errorf("POST with %v: %d, want 403", hdr, a.status)
		}
	}
	if n := len(e.Sim.RequestsTo(vercelsim.RouteUpdateInvoice)); n != 0 {
		t.Errorf("a cross-site post reached Vercel (%d refunds)", n)
	}
}
