package dunning_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/app/apptest"
	"github.com/vercel-partner/partner-server/internal/config"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

const inst = "icfg_dunning0000000000000001"

var free = false

// catalog has a paid plan without prices (nothing to bill, so the
// billing runs below send nothing but dunning's writes) and a free one.
var catalog = installations.Catalog{{ID: "postgres", Name: "Postgres", Plans: []installations.BillingPlan{
	{ID: "free", Type: "subscription", Name: "Free", PaymentMethodRequired: &free},
	{ID: "pro", Type: "subscription", Name: "Pro"},
}}}

type env struct {
	*apptest.Env
	t *testing.T
}

// newEnv is the whole server in feed mode, with the clock override on,
// an installation with a paid and a free resource, and an invoice both
// sides know.
func newEnv(t *testing.T, configure ...func(*config.Config)) *env {
	t.Helper()
	a := apptest.New(t, apptest.Options{Catalog: catalog, Config: func(c *config.Config) {
		c.Billing.AllowClockOverride = true
		for _, f := range configure {
			f(c)
		}
	}})
	e := &env{Env: a, t: t}
	ctx := context.Background()
	if _, err := a.Sim.Install(ctx, a.URL, inst); err != nil {
		t.Fatal(err)
	}
	for id, plan := range map[string]string{"db_paid": "pro", "db_free": "free"} {
		if _, err := a.App.Resources.PutResource(ctx, installations.Resource{ID: id, InstallationID: inst, ProductID: "postgres",
			Name: id, BillingPlanID: plan, Status: "ready"}); err != nil {
			t.Fatal(err)
		}
		a.Sim.SetResource(inst, id, vercelsim.Resource{ProductID: "postgres", Name: id, BillingPlanID: plan})
	}
	return e
}

// webhook delivers ev and expects 200.
func (e *env) webhook(ev vercelsim.WebhookEvent, opts ...vercelsim.WebhookOption) {
	e.t.Helper()
	status, err := e.Sim.DeliverWebhook(context.Background(), e.URL+"/webhooks/vercel", ev, opts...)
	if err != nil || status != http.StatusOK {
		e.t.Fatalf("webhook %s: %d %v", ev.Type, status, err)
	}
}

// run is POST /internal/v1/billing/run as of now; it returns the
// dunning actions the cycle reports.
func (e *env) run(now time.Time) []map[string]any {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.URL+"/internal/v1/billing/run", strings.NewReader(`{"now":"`+now.UTC().Format(time.RFC3339)+`"}`))
	req.Header.Set("Authorization", "Bearer "+apptest.InternalToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var rep struct{ Dunning []map[string]any }
	if err := json.NewDecoder(res.Body).Decode(&rep); err != nil || res.StatusCode != http.StatusOK {
		e.t.Fatalf("billing run: %d %v", res.StatusCode, err)
	}
	return rep.Dunning
}

// wait polls until ok holds.
func (e *env) wait(what string, ok func() bool) {
	e.t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !ok(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			e.t.Fatalf("waited for %s", what)
		}
	}
}

// notification is the level Vercel shows on the installation ("" none).
func (e *env) notification() string {
	st, _ := e.Sim.Installation(inst)
	var n struct{ Level, Message, Href string }
	json.Unmarshal(st.Notification, &n)
	return n.Level
}

func (e *env) status(id string) string {
	r, _ := e.Sim.Resource(inst, id)
	return r.Status
}

// updates counts the state writes Vercel took (installation and resources).
func (e *env) updates() int {
	n := 0
	for _, route := range []string{vercelsim.RouteUpdateInstallation, vercelsim.RouteUpdateResource} {
		for _, r := range e.Sim.RequestsTo(route) {
			if r.Status/100 == 2 {
				n++
			}
		}
	}
	return n
}

func actions(acts []map[string]any) string {
	var out []string
	for _, a := range acts {
		s, _ := a["action"].(string)
		if r, ok := a["resourceId"].(string); ok {
			s += ":" + r
		}
		if l, ok := a["level"].(string); ok {
			s += ":" + l
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

// TestDunningAcrossSixteenDays walks an unpaid invoice through 16
// simulated days: a warning at the first failed payment, nothing more
// from replays and repeats, the paid resource (not the free one)
// suspended once the 15-day grace ran out and the warning an error, and
// everything back once it is paid.
func TestDunningAcrossSixteenDays(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	invoice := e.Sim.SeedInvoice(inst, vercelsim.Invoice{Total: "20.00", State: "invoiced"})
	e.webhook(e.Sim.InvoiceEvent("created", inst, invoice, "", "", vercelsim.Period{}))
	day0 := time.Now()

	notpaid := e.Sim.InvoiceEvent("notpaid", inst, invoice, "", "", vercelsim.Period{})
	e.webhook(notpaid)
	e.wait("the warning", func() bool { return e.notification() == "warn" })
	st, _ := e.Sim.Installation(inst)
	if !strings.Contains(string(st.Notification), invoice) || !strings.Contains(string(st.Notification), `"href":"sso:`+e.URL+`/dashboard/invoices/`+invoice) {
		t.Errorf("the warning %s does not name the invoice and its page", st.Notification)
	}
	seen := e.updates()

	if got := e.run(day0.Add(24 * time.Hour)); len(got) != 0 {
		t.Errorf("day 1: %s, want nothing", actions(got))
	}
	e.webhook(notpaid, vercelsim.WithEventID(notpaid.ID))                               // a replay
	e.webhook(e.Sim.InvoiceEvent("notpaid", inst, invoice, "", "", vercelsim.Period{})) // Vercel's next failed charge
	e.webhook(e.Sim.InvoiceEvent("overdue", inst, invoice, "", "", vercelsim.Period{}))
	if got := e.run(day0.Add(10 * 24 * time.Hour)); len(got) != 0 {
		t.Errorf("day 10, after a replay and repeats: %s, want nothing", actions(got))
	}
	if e.updates() != seen || e.notification() != "warn" || e.status("db_paid") != "ready" {
		t.Errorf("replays and repeats changed something: %d writes (was %d), %s, %s", e.updates(), seen, e.notification(), e.status("db_paid"))
	}

	got := e.run(day0.Add(15*24*time.Hour + time.Hour))
	if want := "escalated suspended:db_paid notified:error"; actions(got) != want {
		t.Errorf("day 15, past the grace: %s, want %s", actions(got), want)
	}
	if e.status("db_paid") != "suspended" || e.status("db_free") != "ready" || e.notification() != "error" {
		t.Errorf("after the grace: paid %s, free %s, notification %s", e.status("db_paid"), e.status("db_free"), e.notification())
	}
	if got := e.run(day0.Add(16 * 24 * time.Hour)); len(got) != 0 {
		t.Errorf("day 16: %s, want nothing more", actions(got))
	}
	e.webhook(e.Sim.InvoiceEvent("notpaid", inst, invoice, "", "", vercelsim.Period{})) // a repeat once suspended
	if got := e.run(day0.Add(16*24*time.Hour + time.Hour)); len(got) != 0 || e.status("db_paid") != "suspended" {
		t.Errorf("a repeat once suspended: %s, %s", actions(got), e.status("db_paid"))
	}

	e.webhook(e.Sim.InvoiceEvent("paid", inst, invoice, "", "", vercelsim.Period{}))
	e.wait("the resumption", func() bool { return e.status("db_paid") == "resumed" && e.notification() == "" })
	if e.status("db_free") != "ready" {
		t.Errorf("the free resource is %s", e.status("db_free"))
	}
	var levels []string
	for _, r := range e.Sim.RequestsTo(vercelsim.RouteUpdateInstallation) {
		if r.Status == http.StatusNoContent {
			var b struct{ Notification *struct{ Level string } }
			json.Unmarshal(r.Body, &b)
			if b.Notification == nil {
				levels = append(levels, "null")
			} else {
				levels = append(levels, b.Notification.Level)
			}
		}
	}
	if strings.Join(levels, " ") != "warn error null" {
		t.Errorf("Vercel's installation notifications: %q, want warn, error, cleared", levels)
	}
	if got := e.run(day0.Add(17 * 24 * time.Hour)); len(got) != 0 {
		t.Errorf("after the payment: %s", actions(got))
	}
}

// TestFailureOfAnUnknownInvoiceIsOnlyRecorded: a notpaid for an invoice
// we never heard of is kept (the invoice record shows it) and suspends
// nothing, even past the grace.
func TestFailureOfAnUnknownInvoiceIsOnlyRecorded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	invoice := e.Sim.SeedInvoice(inst, vercelsim.Invoice{Total: "9.00", State: "notpaid"})
	e.webhook(e.Sim.InvoiceEvent("notpaid", inst, invoice, "", "", vercelsim.Period{}))
	if got := e.run(time.Now().Add(16 * 24 * time.Hour)); len(got) != 0 {
		t.Errorf("past the grace: %s, want nothing", actions(got))
	}
	if e.status("db_paid") != "ready" || e.notification() != "" {
		t.Errorf("paid resource %s, notification %q", e.status("db_paid"), e.notification())
	}
	inv, err := e.App.Invoices.GetInvoice(context.Background(), inst, invoice)
	if err != nil || inv.State != "notpaid" {
		t.Errorf("the invoice record: %+v %v", inv, err)
	}
}

// TestAPaymentSeenAtTheGraceSuspendsNothing: the grace re-reads the
// invoice; Vercel saying it is paid closes the case instead.
func TestAPaymentSeenAtTheGraceSuspendsNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	invoice := e.Sim.SeedInvoice(inst, vercelsim.Invoice{Total: "20.00", State: "invoiced"})
	e.webhook(e.Sim.InvoiceEvent("created", inst, invoice, "", "", vercelsim.Period{}))
	e.webhook(e.Sim.InvoiceEvent("notpaid", inst, invoice, "", "", vercelsim.Period{}))
	e.wait("the warning", func() bool { return e.notification() == "warn" })
	if err := e.Sim.SetInvoiceState(inst, invoice, "paid"); err != nil { // its paid webhook is late
		t.Fatal(err)
	}
	if got := actions(e.run(time.Now().Add(16 * 24 * time.Hour))); got != "paid cleared" {
		t.Errorf("at the grace: %s, want the case closed and the warning cleared", got)
	}
	if e.status("db_paid") != "ready" || e.notification() != "" {
		t.Errorf("paid resource %s, notification %q", e.status("db_paid"), e.notification())
	}
}
