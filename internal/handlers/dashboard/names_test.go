package dashboard_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// main returns the page's <main>, where assertions look.
func mainOf(body string) string {
	if i := strings.Index(body, "<main>"); i >= 0 {
		return body[i:]
	}
	return body
}

// TestInvoiceKeepsOneNameBeforeAndAfterVercelsWebhook: the billing list
// and the invoice page name an invoice by our externalId while its state
// is still ours (pending), after getInvoice told its number and state,
// and after Vercel's paid webhook; Vercel's number is shown beside it.
func TestInvoiceKeepsOneNameBeforeAndAfterVercelsWebhook(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t)
	id := e.submitInvoice(t)
	inv, err := e.invoices.GetInvoice(context.Background(), dashInst, id)
	if err != nil {
		t.Fatal(err)
	}
	name := inv.ExternalID
	user, _ := e.signIn(t, dashUser, vercelapi.RoleUser, nil)
	row := regexp.MustCompile(`<tr data-invoice="` + id + `"><td><a href="/dashboard/invoices/` + id + `">([^<]*)</a>.*?<span class="state state-\w+">([^<]*)</span>`)
	listed := func(when string) (string, string) {
		t.Helper()
		m := row.FindStringSubmatch(get(t, user, e.srv.URL+"/dashboard/invoices").body)
		if m == nil {
			t.Fatalf("%s: the billing list has no row for %s", when, id)
		}
		return m[1], m[2]
	}

	if n, state := listed("before"); n != name || state != "Pending" {
		t.Errorf("before Vercel told anything: listed as %q, %q; want %q, Pending", n, state, name)
	}
	p := get(t, user, e.srv.URL+"/dashboard/invoices/"+id)
	sim, _ := e.sim.Invoice(dashInst, id)
	if !strings.Contains(p.body, "<h1>Invoice "+name+"</h1>") || !strings.Contains(p.body, `<dd id="invoice-number">`+sim.InvoiceNumber+`</dd>`) {
		t.Errorf("invoice page: want it named %s with Vercel's number %s beside: %.1200s", name, sim.InvoiceNumber, mainOf(p.body))
	}
	if n, state := listed("after getInvoice"); n != name || state != "Paid" {
		t.Errorf("after the invoice page read Vercel: listed as %q, %q; want %q, Paid", n, state, name)
	}
	status, err := e.sim.DeliverWebhook(context.Background(), e.srv.URL+"/webhooks/vercel",
		e.sim.InvoiceEvent("paid", dashInst, id, "", "", vercelsim.Period{}))
	if err != nil || status != http.StatusOK {
		t.Fatalf("paid webhook: %d %v", status, err)
	}
	if n, state := listed("after the webhook"); n != name || state != "Paid" {
		t.Errorf("after the paid webhook: listed as %q, %q; want %q, Paid", n, state, name)
	}
}

// TestInvoicePageNamesEachLinesResource: three lines of one plan are
// told apart by their resource.
func TestInvoicePageNamesEachLinesResource(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t)
	ctx := context.Background()
	for _, r := range []struct{ id, name string }{{"db_a", "orders-db"}, {"db_b", "users-db"}} {
		if _, err := e.resources.PutResource(ctx, installations.Resource{ID: r.id, InstallationID: dashInst,
			ProductID: "postgres", Name: r.name, Status: "ready", BillingPlanID: "pro200"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.resources.PutResource(ctx, installations.Resource{ID: dashResource, InstallationID: dashInst,
		ProductID: "postgres", Name: "main-db", Status: "ready", BillingPlanID: "pro200"}); err != nil {
		t.Fatal(err)
	}
	// The autopilot invoices the month as the demo's jump does.
	now := time.Now().UTC()
	next := time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	rep, err := e.autopilot.Cycle(ctx, next.Add(e.autopilot.Grace+5*time.Minute))
	if err != nil || len(rep.Invoices) != 1 {
		t.Fatalf("billing run: %+v %v, want one invoice", rep, err)
	}
	list, _ := e.invoices.ListInvoices(ctx, dashInst)
	if len(list) != 1 {
		t.Fatalf("invoices recorded: %+v", list)
	}
	admin, _ := e.signIn(t, dashAdmin, vercelapi.RoleAdmin, nil)
	body := mainOf(get(t, admin, e.srv.URL+"/dashboard/invoices/"+list[0].ID).body)
	for _, want := range []string{
		"<td>Pro plan · orders-db</td><td>orders-db</td>", "<td>Pro plan · users-db</td><td>users-db</td>",
		"<td>Pro plan · main-db</td><td>main-db</td>", "<h1>Invoice " + dashInst + "-" + now.Format("2006-01") + "</h1>",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("invoice page lacks %s: %.2500s", want, body)
		}
	}
}

// TestBillingPageShowsAnInvoicedPeriodOnce: after a billing run with its
// clock past the month's end (the demo's jump), the open period says
// which invoice it went to instead of a second "total so far", and the
// invoice is listed once.
func TestBillingPageShowsAnInvoicedPeriodOnce(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t)
	ctx := context.Background()
	if _, err := e.resources.PutResource(ctx, installations.Resource{ID: dashResource, InstallationID: dashInst,
		ProductID: "postgres", Name: "main-db", Status: "ready", BillingPlanID: "pro200"}); err != nil {
		t.Fatal(err)
	}
	user, _ := e.signIn(t, dashUser, vercelapi.RoleUser, nil)
	before := mainOf(get(t, user, e.srv.URL+"/dashboard/invoices").body)
	if !strings.Contains(before, "Period total so far</th><th>$20.00") || strings.Contains(before, "period-invoiced") {
		t.Fatalf("open period before the run: %.2000s", before)
	}
	now := time.Now().UTC()
	next := time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := e.autopilot.Cycle(ctx, next.Add(e.autopilot.Grace+5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	list, _ := e.invoices.ListInvoices(ctx, dashInst)
	if len(list) != 1 {
		t.Fatalf("invoices recorded: %+v", list)
	}
	name := dashInst + "-" + now.Format("2006-01")
	after := mainOf(get(t, user, e.srv.URL+"/dashboard/invoices").body)
	want := `<p id="period-invoiced">Already invoiced as <a href="/dashboard/invoices/` + list[0].ID + `">` + name + `</a> ($20.00, Pending)`
	if !strings.Contains(after, want) || strings.Contains(after, "Period total so far") {
		t.Errorf("open period after the jump, want %s and no second total: %.2500s", want, after)
	}
	if n := strings.Count(after, ">"+name+"</a>"); n != 2 { // the note and the one row
		t.Errorf("%s appears %d times, want the note and one row: %.2500s", name, n, after)
	}
}

// TestResourcePageListsConnectedProjects: projects Vercel connects (its
// project-connected webhook) appear on the resource's page with their
// environments, and leave it when disconnected.
func TestResourcePageListsConnectedProjects(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t)
	ctx := context.Background()
	hook := e.srv.URL + "/webhooks/vercel"
	send := func(ev vercelsim.WebhookEvent) {
		t.Helper()
		if status, err := e.sim.DeliverWebhook(ctx, hook, ev); err != nil || status != http.StatusOK {
			t.Fatalf("%s: %d %v", ev.Type, status, err)
		}
	}
	user, _ := e.signIn(t, dashUser, vercelapi.RoleUser, nil)
	page := func() string { return mainOf(get(t, user, e.srv.URL+"/dashboard/resources/"+dashResource).body) }
	if p := page(); !strings.Contains(p, `id="projects"`) || !strings.Contains(p, "No Vercel project uses this resource yet") {
		t.Fatalf("before any connection: %.2000s", p)
	}
	send(e.sim.ProjectConnectedEvent(dashInst, dashResource, vercelsim.Project{ID: "prj_shop", Name: "shop"}, []string{"production", "preview"}))
	send(e.sim.ProjectConnectedEvent(dashInst, dashResource, vercelsim.Project{ID: "prj_blog", Name: "blog"}, []string{"development"}))
	p := page()
	for _, want := range []string{`<tr data-project="prj_shop"><td>shop <code>prj_shop</code></td><td>production, preview</td>`,
		`<tr data-project="prj_blog"><td>blog <code>prj_blog</code></td><td>development</td>`} {
		if !strings.Contains(p, want) {
			t.Errorf("resource page lacks %s: %.2500s", want, p)
		}
	}
	send(e.sim.ProjectDisconnectedEvent(dashInst, dashResource, "prj_shop", nil))
	if p := page(); strings.Contains(p, "prj_shop") || !strings.Contains(p, "prj_blog") {
		t.Errorf("after disconnecting prj_shop: %.2500s", p)
	}
}
