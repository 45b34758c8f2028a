package dashboard_test

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath finds a Chromium or Chrome binary, "" when there is none.
func chromiumPath() string {
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

// TestBrowserOpenInProvider drives real headless Chromium through Open in
// Provider: the simulator's link redirects into /callback, the dashboard
// shows the user, and a rename through the form shows the new name.
func TestBrowserOpenInProvider(t *testing.T) {
	bin := chromiumPath()
	if bin == "" {
		t.Skip("no chromium binary installed")
	}
	e := newDashEnv(t)
	e.sim.SetRedirectLoginURL(e.srv.URL + "/callback")

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()

	open := e.sim.OpenInProviderURL(dashInst, dashAdmin, url.Values{"resource_id": {dashResource}})
	if err := chromedp.Do(bctx,
		chromedp.Navigate(open),
		chromedp.WaitVisible(chromedp.CSS("#resource-name")),
	); err != nil {
		t.Fatalf("sign-in in Chromium: %v", err)
	}
	landed := mustRun(t, bctx, chromedp.Location())
	if !strings.HasSuffix(landed, "/dashboard/resources/"+dashResource) {
		t.Fatalf("landed on %s", landed)
	}
	if err := chromedp.Do(bctx,
		chromedp.Navigate(e.srv.URL+"/dashboard"),
		chromedp.WaitVisible(chromedp.CSS("#getting-started")),
	); err != nil {
		t.Fatalf("dashboard in Chromium: %v", err)
	}
	if user := mustRun(t, bctx, chromedp.Text(chromedp.CSS(".user .name"))); user != "Ada Lovelace" {
		t.Fatalf("dashboard shows user %q", user)
	}
	png := mustRun(t, bctx, chromedp.FullScreenshot(100))
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatal("screenshot is not a PNG")
	}
	saveArtifact(t, "dashboard.png", png)

	if err := chromedp.Do(bctx,
		chromedp.Navigate(e.srv.URL+"/dashboard/resources/"+dashResource),
		chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SetValue(chromedp.ID("name"), "renamed-in-chromium"),
		chromedp.Click(chromedp.CSS(`form[action$="/rename"] button`)),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
	); err != nil {
		t.Fatalf("rename in Chromium: %v", err)
	}
	if name := mustRun(t, bctx, chromedp.Text(chromedp.ID("resource-name"))); name != "renamed-in-chromium" {
		t.Fatalf("resource name after rename = %q", name)
	}
	if got, _ := e.resources.GetResource(context.Background(), dashInst, dashResource); got.Name != "renamed-in-chromium" {
		t.Fatalf("stored name %q", got.Name)
	}
	if len(e.sim.Events(dashInst)) != 1 {
		t.Fatalf("Vercel saw %d events, want resource.updated", len(e.sim.Events(dashInst)))
	}
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(390, 844)); err == nil {
		saveArtifact(t, "resource-phone.png", mustRun(t, bctx, chromedp.FullScreenshot(100)))
	}
}

func mustRun[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// saveArtifact writes a file under $ARTIFACTS_DIR (or a temp dir).
func saveArtifact(t *testing.T, name string, data []byte) {
	t.Helper()
	dir := os.Getenv("ARTIFACTS_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("saved %s", p)
}
