package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserDemoDeploysAPreviewWithItsOwnBranch clicks "Deploy a
// preview" on the simulated Vercel page: the demo's hook creates a branch
// (running, then succeeded through the internal API), the page shows the
// statuses and the branch's DATABASE_URL as Vercel received them, the
// check run's link opens its page on our dashboard, and cleanup drops the
// branch.
func TestBrowserDemoDeploysAPreviewWithItsOwnBranch(t *testing.T) {
	d, ctx := browserDemo(t)
	do(t, ctx, "deploy a preview",
		chromedp.Navigate(d.sim.URL()+"/"),
		chromedp.Click(chromedp.CSS(`[data-project="prj_demo"] button.deploy`)),
		chromedp.WaitVisible(chromedp.ID("flash")))
	if flash := get(t, ctx, chromedp.Text(chromedp.ID("flash"))); !strings.Contains(flash, "Deployed a preview") {
		t.Fatalf("deploy: %s", flash)
	}
	deps := d.sim.Deployments(demoInstallation)
	if len(deps) != 1 {
		t.Fatalf("%d deployments", len(deps))
	}
	dep := deps[0]
	branch := branchName(dep.ID)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if dep, _ = d.sim.Deployment(dep.ID); dep.State() == "ready" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the preview never became ready: %+v", dep)
		}
	}
	a := dep.Actions[0]
	if len(a.Statuses) != 2 || a.Statuses[0].Status != "running" || a.Statuses[1].Status != "succeeded" ||
		len(a.Env) != 1 || !strings.Contains(a.Env[0].Value, branch) {
		t.Fatalf("Vercel took %+v with env %+v, want running then succeeded with the branch %s", a.Statuses, a.Env, branch)
	}
	if !slices.Contains(d.hook.Branches(), branch) {
		t.Errorf("the hook holds branches %v, want %s", d.hook.Branches(), branch)
	}
	do(t, ctx, "reload", chromedp.Navigate(d.sim.URL()+"/"), chromedp.WaitVisible(chromedp.CSS(`[data-deployment="`+dep.ID+`"]`)))
	page := get(t, ctx, chromedp.Text(chromedp.CSS(`[data-deployment="`+dep.ID+`"]`)))
	for _, want := range []string{"running", "succeeded", "DATABASE_URL", a.Env[0].Value, "ready"} {
		if !strings.Contains(page, want) {
			t.Errorf("the deployment on the page lacks %q:\n%s", want, page)
		}
	}
	saveScreenshot(t, ctx, "simulated-vercel-deployment.png")

	do(t, ctx, "open the check run's page",
		chromedp.Click(chromedp.CSS(`[data-deployment="`+dep.ID+`"] .check-link`)),
		chromedp.WaitVisible(chromedp.ID("check-status")))
	if st := get(t, ctx, chromedp.Text(chromedp.ID("check-conclusion"))); st != "succeeded" {
		t.Errorf("the check run page shows %q", st)
	}
	if out := get(t, ctx, chromedp.Text(chromedp.ID("check-output"))); !strings.Contains(out, branch) {
		t.Errorf("the check run's output %q does not name the branch", out)
	}

	do(t, ctx, "clean up the preview",
		chromedp.Navigate(d.sim.URL()+"/"),
		chromedp.Click(chromedp.CSS(`[data-deployment="`+dep.ID+`"] button.cleanup`)),
		chromedp.WaitVisible(chromedp.ID("flash")))
	for deadline := time.Now().Add(20 * time.Second); slices.Contains(d.hook.Branches(), branch); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the branch %s was not dropped after cleanup", branch)
		}
	}
}
