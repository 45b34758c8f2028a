package webhooks_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/app/apptest"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

func TestMemberRoleNoneEndsTheirSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, apptest.Options{})
	bob := e.signIn(t, member, "ADMIN")
	alice := e.signIn(t, admin, "ADMIN")
	if status, _, _ := page(t, bob, e.URL+"/dashboard"); status != http.StatusOK {
		t.Fatalf("dashboard before: %d", status)
	}
	e.mustDeliver(t, e.Sim.MemberChangedEvent(inst, member, "NONE"))
	if n := e.sessions(t, member); n != 0 {
		t.Errorf("%d sessions of the removed member, want none", n)
	}
	if status, _, loc := page(t, bob, e.URL+"/dashboard"); status != http.StatusSeeOther || loc != "/signin" {
		t.Errorf("removed member's next page: %d to %q, want 303 to /signin", status, loc)
	}
	if status, _, _ := page(t, alice, e.URL+"/dashboard"); status != http.StatusOK || e.sessions(t, admin) != 1 {
		t.Errorf("another member's session changed: %d", status)
	}
}

func TestMemberBecomingUserLosesAdminButtons(t *testing.T) {
	t.Parallel()
	e := newEnv(t, apptest.Options{})
	bob := e.signIn(t, member, "ADMIN")
	u := e.URL + "/dashboard/resources/" + resource
	adminButtons := []string{"/rename", "/rotate"}
	_, body, _ := page(t, bob, u)
	for _, b := range adminButtons {
		if !strings.Contains(body, b) {
			t.Fatalf("admin's resource page lacks %s", b)
		}
	}
	e.mustDeliver(t, e.Sim.MemberChangedEvent(inst, member, "USER"))
	status, body, _ := page(t, bob, u)
	if status != http.StatusOK {
		t.Fatalf("resource page after the change: %d, want 200 (still signed in)", status)
	}
	for _, b := range adminButtons {
		if strings.Contains(body, b) {
			t.Errorf("a USER's resource page still offers %s", b)
		}
	}
	if !strings.Contains(body, "Read-only") {
		t.Error("the page does not show the member as read-only")
	}
}

type invoiceRecord struct {
	InvoiceID, ExternalID, Total, State, RefundTotal, RefundReason string
	Test                                                           bool
}

func (e *env) invoiceRecords(t testing.TB) []invoiceRecord {
	t.Helper()
	var out struct{ Invoices []invoiceRecord }
	if status := e.internal(t, "GET", "/installations/"+inst+"/invoices", &out); status != http.StatusOK {
		t.Fatalf("GET invoices: %d", status)
	}
	return out.Invoices
}

func (e *env) invoiceRecord(t testing.TB, id string) invoiceRecord {
	t.Helper()
	for _, r := range e.invoiceRecords(t) {
		if r.InvoiceID == id {
			return r
		}
	}
	t.Fatalf("no record of invoice %s", id)
	return invoiceRecord{}
}

func TestInvoiceEventsMoveOurRecord(t *testing.T) {
	t.Parallel()
	e := newEnv(t, apptest.Options{})
	id := e.Sim.SeedInvoice(inst, vercelsim.Invoice{Total: "20.00", ExternalID: "inv_ours_1"})
	alice := e.signIn(t, admin, "ADMIN")
	steps := []struct {
		kind, state string
	}{
		{"created", "pending"}, {"notpaid", "notpaid"}, {"overdue", "overdue"}, {"paid", "paid"},
		{"created", "paid"}, // a late created does not move a known state back
		{"refunded", "refunded"},
	}
	for _, s := range steps {
		ev := e.Sim.InvoiceEvent(s.kind, inst, id, "", "", vercelsim.Period{})
		if s.kind == "refunded" {
			ev.Payload["amount"], ev.Payload["reason"] = "5.00", "outage credit"
		}
		e.mustDeliver(t, ev)
		r := e.invoiceRecord(t, id)
		if r.State != s.state || r.ExternalID != "inv_ours_1" || r.Total != "20.00" {
			t.Errorf("after %s: record %+v, want state %s", s.kind, r, s.state)
		}
		if _, list, _ := page(t, alice, e.URL+"/dashboard/invoices"); !strings.Contains(list, "state-"+s.state) {
			t.Errorf("after %s: the billing list does not show %s", s.kind, s.state)
		}
	}
	if r := e.invoiceRecord(t, id); r.RefundTotal != "5.00" || r.RefundReason != "outage credit" {
		t.Errorf("refund kept as %q %q", r.RefundTotal, r.RefundReason)
	}
	var in struct{ Status string }
	e.internal(t, "GET", "/installations/"+inst, &in)
	if in.Status != "active" {
		t.Errorf("installation %s after notpaid, want active", in.Status)
	}
	e.Sim.SetDown(true) // the invoice page then shows our record alone
	_, body, _ := page(t, alice, e.URL+"/dashboard/invoices/"+id)
	e.Sim.SetDown(false)
	for _, want := range []string{"state-refunded", "$5.00", "outage credit", "inv_ours_1"} {
		if !strings.Contains(body, want) {
			t.Errorf("invoice page (Vercel down) lacks %q", want)
		}
	}
}

// TestOurSubmissionAndWebhooksMeetInOneRecord submits an invoice through
// the internal API (recorded when delivered) and has Vercel's webhooks
// arrive before and after our record.
func TestOurSubmissionAndWebhooksMeetInOneRecord(t *testing.T) {
	t.Parallel()
	e := newEnv(t, apptest.Options{})
	id := e.submit(t, "inv_ours_2")
	e.mustDeliver(t, e.Sim.InvoiceEvent("paid", inst, id, "", "", vercelsim.Period{}))
	if r := e.invoiceRecords(t); len(r) != 1 || r[0].State != "paid" || r[0].ExternalID != "inv_ours_2" || r[0].Total != "20.00" || !r[0].Test {
		t.Errorf("submitted then paid: %+v, want one paid record", r)
	}

	early := "inv_vercel_early"
	e.mustDeliver(t, e.Sim.InvoiceEvent("paid", inst, early, "inv_ours_3", "7.00",
		vercelsim.Period{Start: "2026-01-01T00:00:00.000Z", End: "2026-02-01T00:00:00.000Z"}))
	// What recording our delivered submission writes, arriving late.
	if err := e.App.Invoices.PutInvoice(context.Background(), installations.Invoice{InstallationID: inst, ID: early,
		ExternalID: "inv_ours_3", Total: "7.00", State: "pending", Test: true,
		PeriodStart: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), PeriodEnd: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	if r := e.invoiceRecord(t, early); r.State != "paid" || !r.Test || r.Total != "7.00" {
		t.Errorf("paid then submitted: %+v, want paid", r)
	}
	if n := len(e.invoiceRecords(t)); n != 2 {
		t.Errorf("%d records, want 2", n)
	}
}

// submit sends an invoice through the internal API and waits for our record.
func (e *env) submit(t testing.TB, externalID string) string {
	t.Helper()
	end := time.Now().UTC().Truncate(time.Hour)
	start := end.Add(-30 * 24 * time.Hour)
	body, _ := json.Marshal(vercelapi.InvoiceRequest{ExternalID: externalID, InvoiceDate: vercelapi.NewTime(end.Add(-time.Hour)),
		Period: vercelapi.Period{Start: vercelapi.NewTime(start), End: vercelapi.NewTime(end)},
		Items: []vercelapi.Item{{BillingPlanID: "pro200", ResourceID: resource, Name: "Pro plan", Price: "20.00",
			Quantity: "1", Units: "month", Total: "20.00"}},
		Test: &vercelapi.InvoiceTest{Result: vercelapi.TestResultPaid}})
	var out struct {
		Result struct{ InvoiceID string }
	}
	if status := e.internalBody(t, "POST", "/installations/"+inst+"/invoices", string(body), &out); status != http.StatusCreated {
		t.Fatalf("submit invoice: %d", status)
	}
	for deadline := time.Now().Add(10 * time.Second); len(e.invoiceRecords(t)) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("our submission was not recorded")
		}
	}
	return out.Result.InvoiceID
}

func TestRemovedInstallationIsDeletedAndItsSessionsEnd(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		plan      string
		deleted   string // the plan of a resource deleted earlier in the period
		finalized bool
	}{
		{"billable resource", "pro200", "", false},
		{"nothing billable", "free", "", true},
		{"a billable resource deleted this period", "free", "pro200", false},
		{"a free resource deleted this period", "free", "free", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, apptest.Options{})
			if _, err := e.App.Resources.PutResource(context.Background(), installations.Resource{ID: resource, InstallationID: inst,
				ProductID: "postgres", Name: "main-db", Status: "ready", BillingPlanID: tt.plan}); err != nil {
				t.Fatal(err)
			}
			if tt.deleted != "" {
				e.deletedResource(t, tt.deleted)
			}
			e.signIn(t, admin, "ADMIN")
			e.signIn(t, member, "USER")
			ev := e.Sim.RemovedEvent(inst)
			e.mustDeliver(t, ev)
			if a, m := e.sessions(t, admin), e.sessions(t, member); a+m != 0 {
				t.Errorf("%d sessions left, want none", a+m)
			}
			var in struct {
				Status    string
				DeletedAt *time.Time
			}
			e.internal(t, "GET", "/installations/"+inst, &in)
			want := installations.StatusPendingFinalization // final invoices are still to come
			if tt.finalized {
				want = installations.StatusDeleted
			}
			if in.Status != want || in.DeletedAt == nil {
				t.Errorf("installation %+v, want %s", in, want)
			}
			deleted := 0
			for _, f := range e.feed(t) {
				if f.Type == installations.EventInstallationDeleted {
					deleted++
				}
			}
			if deleted != 1 {
				t.Errorf("%d installation.deleted events, want 1", deleted)
			}
			if got := e.finalized(t); got != tt.finalized {
				t.Errorf("finalized %v, want %v", got, tt.finalized)
			}
			if len(e.feedOf(t, ev.ID)) != 1 {
				t.Error("the removed event is not on the feed once")
			}
		})
	}
}

// deletedResource provisions a second resource on plan and deletes it,
// through the partner API as Vercel would.
func (e *env) deletedResource(t testing.TB, plan string) {
	t.Helper()
	resp, err := e.Sim.Provision(t.Context(), e.URL, inst, map[string]any{"productId": "postgres", "name": "gone",
		"billingPlanId": plan, "metadata": map[string]any{}})
	if err != nil || resp.Status != http.StatusOK {
		t.Fatalf("provision: %v %d %s", err, resp.Status, resp.Body)
	}
	if del, err := e.Sim.DeleteResource(t.Context(), e.URL, inst, resp.JSON["id"].(string)); err != nil || del.Status != http.StatusNoContent {
		t.Fatalf("delete: %v %d %s", err, del.Status, del.Body)
	}
}

// finalized reads the installation.deleted event's finalized flag.
func (e *env) finalized(t testing.TB) bool {
	t.Helper()
	var out struct {
		Events []struct {
			Type string
			Data struct{ Finalized bool }
		}
	}
	e.internal(t, "GET", "/events?after=0&limit=1000", &out)
	for _, ev := range out.Events {
		if ev.Type == installations.EventInstallationDeleted {
			return ev.Data.Finalized
		}
	}
	t.Fatal("no installation.deleted event")
	return false
}

func TestProjectConnectionsFollowTheEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t, apptest.Options{})
	ids := func() []string {
		list, err := e.App.Webhooks.ListResourceProjects(context.Background(), inst, resource)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range list {
			out = append(out, p.ProjectID+":"+p.Name+":"+strings.Join(p.Targets, ","))
		}
		return out
	}
	e.mustDeliver(t, e.Sim.ProjectConnectedEvent(inst, resource, vercelsim.Project{ID: "prj_a", Name: "web"}, []string{"production", "preview"}))
	e.mustDeliver(t, e.Sim.ProjectConnectedEvent(inst, resource, vercelsim.Project{ID: "prj_b", Name: "docs"}, nil))
	if got, want := ids(), []string{"prj_a:web:production,preview", "prj_b:docs:"}; !slices.Equal(got, want) {
		t.Errorf("connected %v, want %v", got, want)
	}
	e.mustDeliver(t, e.Sim.ProjectDisconnectedEvent(inst, resource, "prj_a", []string{"production", "preview"}))
	if got, want := ids(), []string{"prj_b:docs:"}; !slices.Equal(got, want) {
		t.Errorf("after disconnecting prj_a: %v, want %v", got, want)
	}
	stray := e.Sim.ProjectConnectedEvent(inst, "db_unknown", vercelsim.Project{ID: "prj_c", Name: "x"}, nil)
	e.mustDeliver(t, stray)
	if list, _ := e.App.Webhooks.ListResourceProjects(context.Background(), inst, "db_unknown"); len(list) != 0 {
		t.Errorf("projects recorded for an unknown resource: %v", list)
	}
	if len(e.feedOf(t, stray.ID)) != 1 {
		t.Error("the event for an unknown resource is not on the feed")
	}
}
