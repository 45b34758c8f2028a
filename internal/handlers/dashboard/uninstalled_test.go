package dashboard_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// TestUninstalledInstallationExplainsItself: after Vercel uninstalls the
// integration, an open dashboard session ends on a page saying why, and
// "Open in Provider" answers a page that says the integration was
// uninstalled and how to get it back, not a bare refusal.
func TestUninstalledInstallationExplainsItself(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t)
	admin, _ := e.signIn(t, dashAdmin, vercelapi.RoleAdmin, nil)
	if _, err := e.sim.Uninstall(context.Background(), e.srv.URL, dashInst); err != nil {
		t.Fatal(err)
	}
	r := get(t, admin, e.srv.URL+"/dashboard")
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/signin?uninstalled=1" {
		t.Fatalf("open session after uninstall: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if p := get(t, admin, e.srv.URL+r.Header.Get("Location")); !strings.Contains(p.body, "This integration was uninstalled from your Vercel team, so your session ended") {
		t.Errorf("sign-in page after uninstall: %.1500s", mainOf(p.body))
	}

	u, _ := e.callbackURL(dashAdmin, vercelapi.RoleAdmin, nil)
	p := get(t, e.browser(t), u)
	if p.StatusCode != http.StatusForbidden || !strings.Contains(p.body, "<h1>This integration was uninstalled</h1>") ||
		!strings.Contains(p.body, "Install the integration again from Vercel to use it.") || len(p.Cookies()) != 0 {
		t.Errorf("Open in Provider after uninstall: %d cookies %v: %.1500s", p.StatusCode, p.Cookies(), mainOf(p.body))
	}

	// Installed again (Vercel's fresh PUT), the same link signs in.
	if _, err := e.sim.Install(context.Background(), e.srv.URL, dashInst); err != nil {
		t.Fatal(err)
	}
	if _, to := e.signIn(t, dashAdmin, vercelapi.RoleAdmin, nil); to != "/dashboard" {
		t.Errorf("after installing again: landed on %q", to)
	}
}
