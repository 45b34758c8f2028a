package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// consoleDemo is the demo in Chromium with deliveries that die at their
// first failure, so a test can make a dead one to retry.
func consoleDemo(t *testing.T) (*demoRun, context.Context) {
	t.Helper()
	return browserDemoWith(t, map[string]string{"PARTNER_DELIVERIES_MAX_AGE": "1ms"})
}

// signInStaff follows the console's sign-in through the simulated
// provider's "Sign in as staff" page as who (operator or viewer).
func signInStaff(t *testing.T, d *demoRun, ctx context.Context, who string) {
	t.Helper()
	do(t, ctx, "sign in as staff",
		chromedp.Navigate(d.public+"/console"),
		chromedp.WaitVisible(chromedp.ID("staff-"+who)),
		chromedp.Click(chromedp.ID("staff-"+who)),
		chromedp.WaitVisible(chromedp.ID("staff-role")))
	if role := get(t, ctx, chromedp.TextContent(chromedp.ID("staff-role"))); role != who {
		t.Fatalf("signed in as %q, want %s", role, who)
	}
}

// deadDelivery forwards an event while Vercel is down; with the
// console demo's max age it is dead at once.
func deadDelivery(t *testing.T, d *demoRun) string {
	t.Helper()
	d.sim.SetMode(vercelsim.ModeDown)
	defer d.sim.SetMode(vercelsim.ModeUp)
	if _, _, err := d.api.do(t.Context(), http.MethodPost, "/installations/"+demoInstallation+"/events",
		map[string]any{"event": map[string]any{"type": "installation.updated"}}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		list, err := d.app.Deliveries.List(t.Context(), installations.DeliveryFilter{Status: deliveries.StatusDead, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) == 1 {
			return list[0].ID
		}
	}
	t.Fatal("the delivery never died")
	return ""
}

// invoiceOnPage is the id of the first invoice on an installation's page.
func invoiceOnPage(t *testing.T, ctx context.Context) string {
	t.Helper()
	id := get(t, ctx, chromedp.AttributeValue(chromedp.CSS("[data-invoice]"), "data-invoice"))
	if !id.Exists || id.Value == "" {
		t.Fatal("no invoice on the page")
	}
	return id.Value
}

func TestBrowserConsoleOperatorFindsRefundsRetriesAndIsAudited(t *testing.T) {
	d, ctx := consoleDemo(t)
	dead := deadDelivery(t, d)
	signInStaff(t, d, ctx, "operator")
	saveScreenshot(t, ctx, "console-installations.png")

	do(t, ctx, "find the installation by its contact's e-mail",
		chromedp.SetValue(chromedp.ID("q"), "ada@acme.dev"),
		chromedp.Click(chromedp.CSS("form.search button")),
		chromedp.WaitVisible(chromedp.ID("results-for")))
	if n := len(get(t, ctx, chromedp.Nodes(chromedp.CSSAll("a.inst-link")))); n != 2 {
		t.Fatalf("%d installations found, want both of Ada's teams", n)
	}
	do(t, ctx, "open the first team's",
		chromedp.Click(chromedp.CSS(`a.inst-link[href$="/`+demoInstallation+`"]`)),
		chromedp.WaitVisible(chromedp.ID("installation-id")))
	if id := get(t, ctx, chromedp.Text(chromedp.ID("installation-id"))); id != demoInstallation {
		t.Fatalf("opened %s", id)
	}

	invoice := invoiceOnPage(t, ctx)
	form := `[data-invoice="` + invoice + `"] .refund-form`
	do(t, ctx, "refund part of the invoice",
		chromedp.SetValue(chromedp.CSS(form+` input[name=total]`), "5.00"),
		chromedp.SetValue(chromedp.CSS(form+` input[name=reason]`), "Goodwill for the outage"),
		chromedp.Click(chromedp.CSS(form+" button")),
		chromedp.WaitVisible(chromedp.CSS(`#notice[data-notice="refund"]`)))
	if notice := get(t, ctx, chromedp.Text(chromedp.ID("notice"))); !strings.Contains(notice, "refund was sent to Vercel") {
		t.Fatalf("after the refund: %q", notice)
	}
	refunds := d.sim.RequestsTo(vercelsim.RouteUpdateInvoice)
	if len(refunds) != 1 || !strings.Contains(refunds[0].Path, invoice) ||
		!bytes.Contains(refunds[0].Body, []byte(`"action":"refund"`)) || !bytes.Contains(refunds[0].Body, []byte(`"total":"5.00"`)) {
		t.Fatalf("Vercel received %d refunds: %v", len(refunds), refunds)
	}
	saveScreenshot(t, ctx, "console-installation.png")

	before, _ := d.sim.Installation(demoInstallation)
	do(t, ctx, "rotate the installation's token",
		chromedp.Click(chromedp.ID("rotate")),
		chromedp.WaitVisible(chromedp.CSS(`#notice[data-notice^="rotated"]`)))
	if notice := get(t, ctx, chromedp.Text(chromedp.ID("notice"))); !strings.Contains(notice, "Vercel token was rotated") {
		t.Fatalf("after the rotation: %q", notice)
	}
	if after, _ := d.sim.Installation(demoInstallation); after.AccessToken == before.AccessToken || len(d.sim.RequestsTo(vercelsim.RouteRotateCredential)) != 1 {
		t.Fatal("Vercel did not rotate the installation's token")
	}

	do(t, ctx, "the dead delivery",
		chromedp.Navigate(d.public+"/console/deliveries?status=dead"),
		chromedp.WaitVisible(chromedp.CSS(`[data-delivery="`+dead+`"] button.retry`)))
	saveScreenshot(t, ctx, "console-deliveries.png")
	do(t, ctx, "retry it",
		chromedp.Click(chromedp.CSS(`[data-delivery="`+dead+`"] button.retry`)),
		chromedp.WaitVisible(chromedp.CSS(`#notice[data-notice="retried"]`)))
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		dl, err := d.app.Deliveries.Get(t.Context(), dead)
		if err == nil && dl.Status == deliveries.StatusDelivered {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the retried delivery is %+v (%v)", dl, err)
		}
	}

	do(t, ctx, "the audit log", chromedp.Navigate(d.public+"/console/audit"), chromedp.WaitVisible(chromedp.ID("audit")))
	rows := get(t, ctx, chromedp.Text(chromedp.ID("audit")))
	for _, want := range []string{demoStaffOperator, "console.sign_in", "invoice.refund", "credentials.rotate", "delivery.retry", demoTokenName} {
		if !strings.Contains(rows, want) {
			t.Errorf("the audit page does not show %s:\n%s", want, rows)
		}
	}
	entries, err := d.app.Audit.AuditAfter(t.Context(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, e := range entries {
		seen[e.Action] = e.Actor
	}
	for _, action := range []string{"console.sign_in", "invoice.refund", "credentials.rotate", "delivery.retry"} {
		if seen[action] != demoStaffOperator {
			t.Errorf("audit %s by %q, want %s", action, seen[action], demoStaffOperator)
		}
	}
	if seen["POST /internal/v1/installations/{installationId}/events"] != demoTokenName {
		t.Errorf("the internal API's write is not audited under the token's name: %v", seen)
	}
	saveScreenshot(t, ctx, "console-audit.png")
	phonePages(t, d, ctx)
}

// phonePages checks that no console page scrolls sideways on a laptop
// or on a 390-pixel phone, and that every control has a label.
func phonePages(t *testing.T, d *demoRun, ctx context.Context) {
	t.Helper()
	pages := []string{"/console", "/console/installations/" + demoInstallation, "/console/deliveries?status=",
		"/console/webhooks", "/console/audit"}
	for _, width := range []int64{1280, 390} {
		if width == 390 {
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)); err != nil {
				t.Fatal(err)
			}
		}
		for _, p := range pages {
			do(t, ctx, p, chromedp.Navigate(d.public+p), chromedp.WaitVisible(chromedp.CSS("main")))
			widths := get(t, ctx, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, window.innerWidth]`))
			if widths[1] != int(width) || widths[0] > widths[1] {
				t.Errorf("%s: %d pixels wide in a %d-pixel window (want %d)", p, widths[0], widths[1], width)
			}
			unlabeled := get(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('input:not([type=hidden]),select,textarea')]
				.filter(e => e.labels.length === 0 && !e.getAttribute('aria-label')).map(e => e.outerHTML.slice(0, 80))`))
			if len(unlabeled) > 0 {
				t.Errorf("%s: controls without a label: %q", p, unlabeled)
			}
			if width == 390 && p == "/console/installations/"+demoInstallation {
				saveViewport(t, ctx, "console-installation-phone.png")
			}
		}
	}
}

func TestBrowserConsoleViewerSeesEverythingAndIsRefusedEveryAction(t *testing.T) {
	d, ctx := consoleDemo(t)
	dead := deadDelivery(t, d)
	signInStaff(t, d, ctx, "viewer")
	for _, p := range []string{"/console", "/console/installations/" + demoInstallation, "/console/deliveries?status=dead",
		"/console/webhooks", "/console/audit"} {
		do(t, ctx, p, chromedp.Navigate(d.public+p), chromedp.WaitVisible(chromedp.CSS("main")))
		if note := get(t, ctx, chromedp.Text(chromedp.CSS(".viewer-note"))); !strings.Contains(note, "only operators can act") {
			t.Errorf("%s: no viewer note", p)
		}
	}
	// The buttons are disabled; a viewer who enables one is refused by the server.
	refused := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		do(t, ctx, what, actions...)
		page := get(t, ctx, chromedp.Text(chromedp.ID("error")))
		if !strings.Contains(page, "only operators can act") || !strings.Contains(page, "Status 403") {
			t.Errorf("%s: %q", what, page)
		}
	}
	do(t, ctx, "the installation", chromedp.Navigate(d.public+"/console/installations/"+demoInstallation),
		chromedp.WaitVisible(chromedp.ID("installation-id")))
	invoice := invoiceOnPage(t, ctx)
	form := `[data-invoice="` + invoice + `"] .refund-form`
	if a := get(t, ctx, chromedp.AttributeValue(chromedp.CSS(form+" button"), "disabled")); !a.Exists {
		t.Error("the viewer's refund button is enabled")
	}
	refused("refund",
		chromedp.SetValue(chromedp.CSS(form+` input[name=total]`), "5.00"),
		chromedp.SetValue(chromedp.CSS(form+` input[name=reason]`), "viewer"),
		chromedp.RemoveAttribute(chromedp.CSS(form+" button"), "disabled"),
		chromedp.Click(chromedp.CSS(form+" button")),
		chromedp.WaitVisible(chromedp.ID("error")))
	refused("rotate the token",
		chromedp.Navigate(d.public+"/console/installations/"+demoInstallation),
		chromedp.WaitVisible(chromedp.ID("rotate")),
		chromedp.RemoveAttribute(chromedp.ID("rotate"), "disabled"),
		chromedp.Click(chromedp.ID("rotate")),
		chromedp.WaitVisible(chromedp.ID("error")))
	row := `[data-delivery="` + dead + `"]`
	refused("retry",
		chromedp.Navigate(d.public+"/console/deliveries?status=dead"),
		chromedp.WaitVisible(chromedp.CSS(row+" button.retry")),
		chromedp.RemoveAttribute(chromedp.CSS(row+" button.retry"), "disabled"),
		chromedp.Click(chromedp.CSS(row+" button.retry")),
		chromedp.WaitVisible(chromedp.ID("error")))
	refused("cancel (the retry form sent to the cancel route)",
		chromedp.Navigate(d.public+"/console/deliveries?status=dead"),
		chromedp.WaitVisible(chromedp.CSS(row+" button.retry")),
		chromedp.SetAttributeValue(chromedp.CSS(row+" form:has(button.retry)"), "action", "/console/deliveries/"+dead+"/cancel"),
		chromedp.RemoveAttribute(chromedp.CSS(row+" button.retry"), "disabled"),
		chromedp.Click(chromedp.CSS(row+" button.retry")),
		chromedp.WaitVisible(chromedp.ID("error")))

	if n := len(d.sim.RequestsTo(vercelsim.RouteUpdateInvoice)); n != 0 {
		t.Errorf("Vercel received %d refunds from a viewer", n)
	}
	if n := len(d.sim.RequestsTo(vercelsim.RouteRotateCredential)); n != 0 {
		t.Errorf("Vercel received %d token rotations from a viewer", n)
	}
	if dl, _ := d.app.Deliveries.Get(t.Context(), dead); dl.Status != deliveries.StatusDead {
		t.Errorf("the viewer's retry changed the delivery: %s", dl.Status)
	}
	entries, err := d.app.Audit.AuditAfter(t.Context(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.ActorKind == installations.AuditStaff && e.Action != "console.sign_in" {
			t.Errorf("a viewer's refused action was audited: %+v", e)
		}
	}
}
