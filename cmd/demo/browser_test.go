package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browserDemo starts the demo in-process on random ports and a headless
// Chromium to drive it.
func browserDemo(t *testing.T) (*demoRun, context.Context) {
	t.Helper()
	return browserDemoWith(t, nil)
}

// browserDemoWith is browserDemo with env over the demo's configuration.
func browserDemoWith(t *testing.T, env map[string]string) (*demoRun, context.Context) {
	t.Helper()
	bin := chromiumPath()
	if bin == "" {
		t.Skip("no chromium binary installed")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	t.Cleanup(cancel)
	d, err := startDemo(ctx, demoPaths(t.TempDir()), "127.0.0.1:0", "127.0.0.1:0", func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.close)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 1000))
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(cancelBrowser)
	return d, bctx
}

func get[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func do(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func resourceNamed(d *demoRun, name string) (vercelsim.Resource, bool) {
	for _, r := range d.sim.Resources(demoInstallation) {
		if r.Name == name {
			return r, true
		}
	}
	return vercelsim.Resource{}, false
}

// openAsAdmin follows the resource's "Open in Provider (admin)" link on
// the simulated page into our dashboard.
func openAsAdmin(t *testing.T, d *demoRun, ctx context.Context, resourceID string) {
	t.Helper()
	do(t, ctx, "open in provider",
		chromedp.Navigate(d.sim.URL()+"/"),
		chromedp.Click(chromedp.CSS(`[data-resource="`+resourceID+`"] a.open-admin`)),
		chromedp.WaitVisible(chromedp.ID("resource-name")))
	if loc := get(t, ctx, chromedp.Location()); !strings.HasSuffix(loc, "/dashboard/resources/"+resourceID) {
		t.Fatalf("Open in Provider landed on %s", loc)
	}
}

// rename renames the resource on our dashboard's page and returns the
// notice shown.
func rename(t *testing.T, d *demoRun, ctx context.Context, resourceID, name string) string {
	t.Helper()
	do(t, ctx, "rename",
		chromedp.Navigate(d.public+"/dashboard/resources/"+resourceID),
		chromedp.SetValue(chromedp.ID("name"), name),
		chromedp.Click(chromedp.CSS(`form[action$="/rename"] button`)),
		chromedp.WaitVisible(chromedp.CSS(".notice")))
	if got := get(t, ctx, chromedp.Text(chromedp.ID("resource-name"))); got != name {
		t.Fatalf("name after rename = %q", got)
	}
	return get(t, ctx, chromedp.Text(chromedp.CSS(".notice")))
}

func TestBrowserDemoCreatesRenamesAndShowsWhatVercelReceived(t *testing.T) {
	d, ctx := browserDemo(t)
	do(t, ctx, "create a resource on the simulated Vercel page",
		chromedp.Navigate(d.sim.URL()+"/"),
		chromedp.WaitVisible(chromedp.ID("create-form")),
		chromedp.SetValue(chromedp.ID("create-name"), "browser-db"),
		chromedp.Click(chromedp.ID("create-submit")),
		chromedp.WaitVisible(chromedp.ID("flash")))
	if flash := get(t, ctx, chromedp.Text(chromedp.ID("flash"))); !strings.Contains(flash, "answered 201") && !strings.Contains(flash, "answered 200") {
		t.Fatalf("create: %s", flash)
	}
	res, ok := resourceNamed(d, "browser-db")
	if !ok || len(res.Secrets) == 0 {
		t.Fatalf("Vercel's copy of the new resource: %+v (found %v)", res, ok)
	}
	page := get(t, ctx, chromedp.Text(chromedp.CSS("body")))
	if !strings.Contains(page, res.Secrets[0].Value) {
		t.Errorf("the simulated page does not show the env var %s", res.Secrets[0].Name)
	}
	saveScreenshot(t, ctx, "simulated-vercel.png")

	openAsAdmin(t, d, ctx, res.ID)
	rename(t, d, ctx, res.ID, "renamed-in-chromium")
	saveScreenshot(t, ctx, "dashboard.png")

	do(t, ctx, "what Vercel received", chromedp.Navigate(d.sim.URL()+"/requests"), chromedp.WaitVisible(chromedp.CSS(".request")))
	got := get(t, ctx, chromedp.Text(chromedp.CSS("main")))
	if !strings.Contains(got, "POST /v1/installations/"+demoInstallation+"/events") ||
		!strings.Contains(got, `"resource.updated"`) || !strings.Contains(got, res.ID) {
		t.Fatalf("the resource.updated call is not on the page:\n%.2000s", got)
	}
	if strings.Contains(got, "Bearer ") || strings.Contains(got, d.secrets.ClientSecret) {
		t.Error("the page shows an Authorization header or the client secret")
	}
	saveScreenshot(t, ctx, "what-vercel-received.png")
}

func TestBrowserDemoWriteWaitsForVercel(t *testing.T) {
	d, ctx := browserDemo(t)
	main, ok := resourceNamed(d, "main-db")
	if !ok {
		t.Fatal("no main-db")
	}
	openAsAdmin(t, d, ctx, main.ID) // signing in needs Vercel up
	do(t, ctx, "turn Vercel down",
		chromedp.Navigate(d.sim.URL()+"/"),
		chromedp.Click(chromedp.ID("mode-down")),
		chromedp.WaitVisible(chromedp.ID("flash")))
	if mode := get(t, ctx, chromedp.Text(chromedp.ID("mode-now"))); mode != "down" {
		t.Fatalf("mode = %q", mode)
	}
	if notice := rename(t, d, ctx, main.ID, "renamed-while-down"); !strings.Contains(notice, "did not answer yet") {
		t.Fatalf("rename while Vercel is down: notice %q, want pending", notice)
	}
	if delivered(d, main.ID) {
		t.Fatal("delivered while Vercel was down")
	}
	do(t, ctx, "turn Vercel up",
		chromedp.Navigate(d.sim.URL()+"/"),
		chromedp.Click(chromedp.ID("mode-up")),
		chromedp.WaitVisible(chromedp.ID("flash")))
	for deadline := time.Now().Add(30 * time.Second); !delivered(d, main.ID); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the rename never reached Vercel after it came back")
		}
	}
	do(t, ctx, "what Vercel received", chromedp.Navigate(d.sim.URL()+"/requests"), chromedp.WaitVisible(chromedp.CSS(".request")))
	if got := get(t, ctx, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(got, "dropped (Vercel down)") {
		t.Errorf("the dropped attempt is not on the page:\n%.1500s", got)
	}
}

// delivered reports whether Vercel accepted a resource.updated of the
// resource.
func delivered(d *demoRun, resourceID string) bool {
	for _, r := range d.sim.RequestsTo(vercelsim.RouteCreateEvent) {
		if r.Status == 201 && bytes.Contains(r.Body, []byte("resource.updated")) && bytes.Contains(r.Body, []byte(resourceID)) {
			return true
		}
	}
	return false
}

// saveScreenshot writes a full-page PNG under $ARTIFACTS_DIR, when set.
func saveScreenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	savePNG(t, get(t, ctx, chromedp.FullScreenshot(100)), name)
}

// saveViewport writes what the window shows as a PNG under $ARTIFACTS_DIR.
func saveViewport(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	savePNG(t, get(t, ctx, chromedp.CaptureScreenshot()), name)
}

func savePNG(t *testing.T, png []byte, name string) {
	t.Helper()
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("%s is not a PNG", name)
	}
	dir := os.Getenv("ARTIFACTS_DIR")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
