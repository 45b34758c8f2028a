package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// startTestDemo runs the demo in this process on free ports.
func startTestDemo(t *testing.T) *demoRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d, err := startDemo(ctx, demoPaths(t.TempDir()), "127.0.0.1:0", "127.0.0.1:0", func(string) string { return "" }, io.Discard)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); <-d.served; d.close() })
	return d
}

// ourInvoices is the installation's invoices as our internal API lists them.
func ourInvoices(t *testing.T, d *demoRun) map[string]map[string]any {
	t.Helper()
	status, body, err := d.api.do(t.Context(), http.MethodGet, "/installations/"+demoInstallation+"/invoices", nil)
	var out struct{ Invoices []map[string]any }
	if err != nil || status != http.StatusOK || json.Unmarshal(body, &out) != nil {
		t.Fatalf("list our invoices: %d %s %v", status, body, err)
	}
	byID := map[string]map[string]any{}
	for _, inv := range out.Invoices {
		byID[inv["invoiceId"].(string)] = inv
	}
	return byID
}

// checkSidesAgree wants every invoice the simulated Vercel holds in our
// records, in the same state, and nothing more.
func checkSidesAgree(t *testing.T, d *demoRun, when string) []vercelsim.Invoice {
	t.Helper()
	theirs, ours := d.sim.Invoices(demoInstallation), ourInvoices(t, d)
	if len(theirs) != len(ours) {
		t.Errorf("%s: Vercel has %d invoices, we have %d", when, len(theirs), len(ours))
	}
	for _, inv := range theirs {
		if got := ours[inv.InvoiceID]; got == nil || got["state"] != inv.State || got["externalId"] != inv.ExternalID {
			t.Errorf("%s: invoice %s is %s (%s) at Vercel, ours is %v", when, inv.InvoiceID, inv.State, inv.ExternalID, got)
		}
	}
	return theirs
}

// dashboardBilling signs in as the demo's admin and reads the billing page.
func dashboardBilling(t *testing.T, d *demoRun) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	res, err := c.Get(d.sim.OpenInProviderURL(demoInstallation, vercelsim.DefaultAdminUserID, nil))
	if err == nil {
		res.Body.Close()
		res, err = c.Get(d.public + "/dashboard/invoices")
	}
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

// TestDemoSeedAndJumpAgreeWithVercel: the seeded invoice is paid on both
// sides, and named the same; after the jump to the month's end the new
// invoice is pending on both sides, names its resource, and the billing
// page says the month is invoiced instead of showing its total twice.
func TestDemoSeedAndJumpAgreeWithVercel(t *testing.T) {
	d := startTestDemo(t)
	seeded := checkSidesAgree(t, d, "after the seed")
	last := time.Now().UTC().AddDate(0, 0, -time.Now().UTC().Day()+1).AddDate(0, -1, 0).Format("2006-01")
	if len(seeded) != 1 || seeded[0].State != "paid" || seeded[0].ExternalID != "demo-"+last {
		t.Fatalf("seeded invoices %+v, want one paid demo-%s", seeded, last)
	}
	page := dashboardBilling(t, d)
	row := regexp.MustCompile(`>demo-` + last + `</a>.*?<span class="state state-paid">Paid</span>`)
	if !row.MatchString(page) {
		t.Errorf("the dashboard does not list demo-%s as Paid: %.3000s", last, page[strings.Index(page, "<main>"):])
	}

	var jump vercelsim.ConsoleAction
	for _, a := range d.console().Actions {
		if a.Name == "end-of-month" {
			jump = a
		}
	}
	if !strings.Contains(jump.Label, "time travel") || !strings.HasPrefix(jump.Help, "Demo only") {
		t.Errorf("the jump is not labelled as demo time travel: %q / %q", jump.Label, jump.Help)
	}
	msg, err := jump.Run(t.Context(), demoInstallation)
	if err != nil || !strings.Contains(msg, "this month's invoice went to Vercel") || !strings.Contains(msg, "the clock itself did not move") {
		t.Fatalf("jump: %q %v", msg, err)
	}
	after := checkSidesAgree(t, d, "after the jump")
	month := time.Now().UTC().Format("2006-01")
	var jumped *vercelsim.Invoice
	for i := range after {
		if after[i].ExternalID == demoInstallation+"-"+month {
			jumped = &after[i]
		}
	}
	if jumped == nil || jumped.State != "pending" || !strings.Contains(string(jumped.Items), `"name":"Pro plan · main-db"`) {
		t.Fatalf("after the jump Vercel has %+v, want %s-%s pending with a line naming main-db", after, demoInstallation, month)
	}
	page = dashboardBilling(t, d)
	if !strings.Contains(page, `id="period-invoiced">Already invoiced as <a href="/dashboard/invoices/`+jumped.InvoiceID+`">`+jumped.ExternalID+`</a>`) ||
		strings.Contains(page, "Period total so far") {
		t.Errorf("billing page after the jump: %.3000s", page[strings.Index(page, "<main>"):])
	}
	if msg, err := jump.Run(t.Context(), demoInstallation); err != nil || !strings.Contains(msg, "no invoice was due") {
		t.Errorf("second jump: %q %v", msg, err)
	}
}

// TestDemoUninstallOffersAWayBack: after "Uninstall" the simulated page
// offers "Install again" and names -reset; Open in Provider explains the
// uninstall; installing again opens the dashboard once more.
func TestDemoUninstallOffersAWayBack(t *testing.T) {
	d := startTestDemo(t)
	post := func(path string) string {
		t.Helper()
		res, err := http.PostForm(d.sim.URL()+"/console/"+demoInstallation+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	open := func() (int, string) {
		t.Helper()
		jar, _ := cookiejar.New(nil)
		res, err := (&http.Client{Jar: jar}).Get(d.sim.OpenInProviderURL(demoInstallation, vercelsim.DefaultAdminUserID, nil))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	page := post("/uninstall")
	if !strings.Contains(page, `id="install-again"`) || !strings.Contains(page, "go run ./cmd/demo -reset") {
		t.Errorf("after uninstall the page offers no way back: %.4000s", page)
	}
	if status, body := open(); status != http.StatusForbidden || !strings.Contains(body, "This integration was uninstalled") {
		t.Errorf("Open in Provider after uninstall: %d %.1500s", status, body)
	}
	if page := post("/install"); !strings.Contains(page, "Installed again: Vercel sent PUT /v1/installations/"+demoInstallation) {
		t.Errorf("install again: %.4000s", page)
	}
	if status, body := open(); status != http.StatusOK || !strings.Contains(body, "Overview") {
		t.Errorf("Open in Provider after installing again: %d %.1500s", status, body)
	}
}
