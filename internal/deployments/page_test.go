package deployments_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// completedCheckRun deploys a preview with one check run and completes it
// through the internal API (feed mode).
func completedCheckRun(t *testing.T, e *env) vercelsim.Deployment {
	t.Helper()
	d := e.deploy(t, vercelsim.DeployOptions{NoAction: true})
	e.complete(t, checkRunPath(d.ID, d.CheckRuns[0].ID), `{"status":"completed","conclusion":"succeeded","output":{"migrations":"3 applied"}}`)
	e.Sim.SetRedirectLoginURL(e.URL + "/callback")
	return d
}

// signedIn is a browser-like client after Open in Provider with params,
// as the admin of installationID; it returns the page it landed on.
func signedIn(t *testing.T, e *env, installationID string, params url.Values) (*http.Client, string, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(e.Sim.OpenInProviderURL(installationID, vercelsim.DefaultAdminUserID, params))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("Open in Provider: %d %s", resp.StatusCode, body)
	}
	return c, resp.Request.URL.Path, string(body)
}

// TestTheCheckRunPageIsTheInstallationsOnly: the check_id deep link (by
// check run or by check) opens the page; another installation's session
// finds no such check run.
func TestTheCheckRunPageIsTheInstallationsOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	d := completedCheckRun(t, e)
	run := d.CheckRuns[0]
	for _, id := range []string{run.ID, run.CheckID} {
		_, landed, page := signedIn(t, e, inst, url.Values{"check_id": {id}})
		if landed != "/dashboard/checks/"+run.ID || !strings.Contains(page, d.ID) || !strings.Contains(page, "3 applied") ||
			!strings.Contains(page, `id="check-status"><span class="state state-completed">completed`) {
			t.Errorf("check_id=%s landed on %s:\n%s", id, landed, page)
		}
	}
	const other = "icfg_other000000000000000001"
	if _, err := e.Sim.Install(t.Context(), e.URL, other); err != nil {
		t.Fatal(err)
	}
	c, landed, _ := signedIn(t, e, other, url.Values{"check_id": {run.ID}})
	if landed != "/dashboard" {
		t.Errorf("another installation's check_id landed on %s", landed)
	}
	resp, err := c.Get(e.URL + "/dashboard/checks/" + run.ID)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("another installation's check run page: %d, want 404", resp.StatusCode)
	}
}

// TestBrowserOpensTheCheckRunPageThroughSSO drives headless Chromium from
// the simulated Vercel page: the check run's link (the sso: link the
// server sent) runs Open in Provider and lands on the check run's page.
func TestBrowserOpensTheCheckRunPageThroughSSO(t *testing.T) {
	bin := chromium()
	if bin == "" {
		t.Skip("no chromium binary installed")
	}
	e := newEnv(t, envOpts{})
	d := completedCheckRun(t, e)
	e.Sim.SetConsole(vercelsim.Console{PartnerURL: e.URL, Products: []string{"postgres"}})
	ctx, cancel := context.WithTimeout(t.Context(), 40*time.Second)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 900))
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	link := chromedp.CSS(`[data-deployment="` + d.ID + `"] .check-link`)
	if err := chromedp.Do(bctx,
		chromedp.Navigate(e.Sim.URL()+"/"),
		chromedp.WaitVisible(link),
		chromedp.Click(link),
		chromedp.WaitVisible(chromedp.ID("check-status")),
	); err != nil {
		t.Fatalf("Chromium: %v", err)
	}
	landed := mustRun(t, bctx, chromedp.Location())
	status := mustRun(t, bctx, chromedp.Text(chromedp.ID("check-status")))
	conclusion := mustRun(t, bctx, chromedp.Text(chromedp.ID("check-conclusion")))
	output := mustRun(t, bctx, chromedp.Text(chromedp.ID("check-output")))
	if !strings.HasSuffix(landed, "/dashboard/checks/"+d.CheckRuns[0].ID) || status != "completed" ||
		conclusion != "succeeded" || !strings.Contains(output, "3 applied") {
		t.Errorf("landed on %s showing %q / %q / %q", landed, status, conclusion, output)
	}
}

// chromium finds a Chromium or Chrome binary, "" when there is none.
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

func mustRun[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
