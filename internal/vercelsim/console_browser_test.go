package vercelsim_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vercel-partner/partner-server/internal/app/apptest"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

const phoneInst = "icfg_phone000000000000000001"

var phoneCatalog = installations.Catalog{{
	ID: "postgres", Name: "Postgres", SecretNames: []string{"DATABASE_URL"},
	Plans: []installations.BillingPlan{
		{ID: "pro200", Type: "subscription", Name: "Pro", Description: "Pro plan", Cost: "$20.00/month + usage"},
		{ID: "hobby", Type: "subscription", Name: "Hobby", Description: "Free", PaymentMethodRequired: new(false)},
	},
}}

func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	return ""
}

// phoneSim is a simulator in front of the real server with what a demo
// shows after a while: resources with long ids and secrets, a
// notification, members, an invoice, and requests with long paths.
func phoneSim(t *testing.T) *vercelsim.Sim {
	t.Helper()
	env := apptest.New(t, apptest.Options{Catalog: phoneCatalog})
	sim, ctx := env.Sim, t.Context()
	token, err := sim.Install(ctx, env.URL, phoneInst)
	if err != nil {
		t.Fatal(err)
	}
	sim.SetConsole(vercelsim.Console{PartnerURL: env.URL, Products: []string{"postgres"},
		Notes: func(string) []vercelsim.ConsoleNote {
			return []vercelsim.ConsoleNote{{Title: "A long command", Text: "curl -H 'Authorization: Bearer x' " + env.URL + "/internal/v1/installations/" + phoneInst + "/resources/" + strings.Repeat("r", 60)}}
		}})
	if _, err := sim.ProvisionResource(ctx, env.URL, phoneInst, map[string]any{
		"productId": "postgres", "name": "orders-db", "billingPlanId": "pro200", "metadata": map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	sim.SetResource(phoneInst, "res_"+strings.Repeat("LONGID", 6), vercelsim.Resource{ProductID: "postgres", Name: "analytics-db-with-a-rather-long-name",
		BillingPlanID: "hobby", Notification: json.RawMessage(`{"level":"warn","title":"Payment overdue","message":"Pay invoice SIM-000001 to keep the resource running.","href":"sso:https://partner.example/dashboard/invoices/1"}`),
		Secrets: []vercelsim.Secret{{Name: "DATABASE_URL", Value: "postgres://analytics:" + strings.Repeat("s3cr3t", 12) + "@db.partner.example:5432/main?sslmode=require"}}})
	sim.SetMember(phoneInst, "0b5e000000000002", "USER", "grace.hopper.with.a.long.address@acme-corporation.example")
	sim.SeedInvoice(phoneInst, vercelsim.Invoice{State: "paid", Total: "1234.56"})
	event := map[string]any{"event": map[string]any{"type": "resource.updated", "resourceId": strings.Repeat("y", 150)}}
	for _, call := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/v1/installations/" + phoneInst + "/account", nil},
		{"GET", "/v1/installations/" + phoneInst + "/resources/" + strings.Repeat("x", 120), nil},
		{"POST", "/v1/installations/" + phoneInst + "/events", event},
	} {
		if _, err := sim.CallPartner(ctx, call.method, sim.URL()+call.path, phoneInst, call.body, vercelsim.WithBearer(token)); err != nil {
			t.Fatal(err)
		}
	}
	return sim
}

// On a 390-pixel phone no console page scrolls sideways, and every form
// control has a label.
func TestConsoleFitsAPhone(t *testing.T) {
	bin := chromium()
	if bin == "" {
		t.Skip("no chromium binary installed")
	}
	sim := phoneSim(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()))
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	pages := []struct {
		name    string
		actions []chromedp.Action[chromedp.Void]
	}{
		{"the dashboard", []chromedp.Action[chromedp.Void]{chromedp.Navigate(sim.URL() + "/"), chromedp.WaitVisible(chromedp.ID("create-form"))}},
		{"a flash with its answer unfolded", []chromedp.Action[chromedp.Void]{chromedp.Click(chromedp.ID("create-submit")),
			chromedp.WaitVisible(chromedp.ID("flash")), chromedp.Click(chromedp.CSS("#flash summary")), chromedp.WaitVisible(chromedp.CSS("#flash pre"))}},
		{"what Vercel received", []chromedp.Action[chromedp.Void]{chromedp.Navigate(sim.URL() + "/requests"), chromedp.WaitVisible(chromedp.ID("filter")),
			chromedp.Click(chromedp.CSS(".request summary")), chromedp.WaitVisible(chromedp.CSS(".request pre"))}},
	}
	for _, p := range pages {
		if err := chromedp.Do(bctx, p.actions...); err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		widths, err := chromedp.Run(bctx, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, window.innerWidth]`))
		if err != nil {
			t.Fatal(err)
		}
		if widths[1] != 390 || widths[0] > widths[1] {
			t.Errorf("%s: %d pixels wide in a %d-pixel window", p.name, widths[0], widths[1])
		}
		unlabeled, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('input:not([type=hidden]),select,textarea')]
			.filter(e => e.labels.length === 0 && !e.getAttribute('aria-label')).map(e => e.outerHTML.slice(0, 80))`))
		if err != nil {
			t.Fatal(err)
		}
		if len(unlabeled) > 0 {
			t.Errorf("%s: controls without a label: %q", p.name, unlabeled)
		}
	}
}
