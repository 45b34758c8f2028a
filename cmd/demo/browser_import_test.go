package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// onTeam scopes a CSS selector to one installation's resources section.
func onTeam(id, sel string) string { return `section[data-installation="` + id + `"] ` + sel }

// TestBrowserDemoImportsAResourceAndBringsTheUserBack follows the
// simulated Vercel page's "Import resource" button to the partner's
// import page, signs in as the demo user, picks an existing database and
// lands back on Vercel's page, which now shows it; then transfers it to
// the second team.
func TestBrowserDemoImportsAResourceAndBringsTheUserBack(t *testing.T) {
	d, ctx := browserDemo(t)
	do(t, ctx, "open the import page from the simulated Vercel page",
		chromedp.Navigate(d.sim.URL()+"/"),
		chromedp.Click(chromedp.CSS(onTeam(demoInstallation, "#import-resource"))),
		chromedp.WaitVisible(chromedp.ID("signin")))
	if loc := get(t, ctx, chromedp.Location()); !strings.HasPrefix(loc, d.imports.url+"/import?") || !strings.Contains(loc, "state=") {
		t.Fatalf("the import button opened %s", loc)
	}
	do(t, ctx, "sign in and pick the second database",
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("pick")),
		chromedp.Click(chromedp.ID("db-legacy-orders")),
		chromedp.Click(chromedp.ID("import-submit")),
		chromedp.WaitVisible(chromedp.ID("flash")))
	loc := get(t, ctx, chromedp.Location())
	flash := get(t, ctx, chromedp.Text(chromedp.ID("flash")))
	if !strings.HasPrefix(loc, d.sim.URL()+"/") || !strings.Contains(flash, "Imported “legacy-orders” (linked)") {
		t.Fatalf("back on %s with %q", loc, flash)
	}
	names := get(t, ctx, chromedp.Text(chromedp.CSS(onTeam(demoInstallation, `[data-resource="pg_legacy_orders"] .resource-name`))))
	if names != "legacy-orders" {
		t.Errorf("Vercel's page shows %q for the imported resource", names)
	}
	status, body, err := d.api.do(context.Background(), http.MethodGet, "/installations/"+demoInstallation+"/resources/pg_legacy_orders", nil)
	var got struct {
		Resource struct{ Ownership, Name string }
	}
	if err != nil || status != http.StatusOK || json.Unmarshal(body, &got) != nil || got.Resource.Ownership != "linked" {
		t.Fatalf("our copy: %d %s %v", status, body, err)
	}
	if vr, ok := d.sim.Resource(demoInstallation, "pg_legacy_orders"); !ok || len(vr.Secrets) != 2 {
		t.Errorf("Vercel's copy %+v: want the two connection secrets", vr)
	}
	saveScreenshot(t, ctx, "import-resource.png")

	transfer := onTeam(demoInstallation, `[data-resource="pg_legacy_orders"] .transfer-submit`)
	do(t, ctx, "transfer it to the second team",
		chromedp.Navigate(d.sim.URL()+"/"), // a page without the import's flash
		chromedp.WaitVisible(chromedp.CSS(transfer)),
		chromedp.Click(chromedp.CSS(transfer)),
		chromedp.WaitVisible(chromedp.ID("flash")))
	if flash := get(t, ctx, chromedp.Text(chromedp.ID("flash"))); !strings.Contains(flash, "Transferred “legacy-orders” to Acme Labs") {
		t.Fatalf("transfer: %q", flash)
	}
	if got := get(t, ctx, chromedp.Text(chromedp.CSS(onTeam(demoSecondInstallation, `[data-resource="pg_legacy_orders"] .resource-name`)))); got != "legacy-orders" {
		t.Errorf("the second team's section shows %q", got)
	}
	if status, _, _ := d.api.do(context.Background(), http.MethodGet, "/installations/"+demoSecondInstallation+"/resources/pg_legacy_orders", nil); status != http.StatusOK {
		t.Errorf("our copy at the second team: %d", status)
	}
}
