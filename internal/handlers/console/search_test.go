package console_test

import (
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vercel-partner/partner-server/internal/app/apptest"
	"github.com/vercel-partner/partner-server/internal/db/dbtest"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// TestAnyInputGetsAPageNever5xx: searches and filters of any length and
// bytes, and odd ids in paths, are answered without a 5xx on both
// databases.
func TestAnyInputGetsAPageNever5xx(t *testing.T) {
	t.Parallel()
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			opts := apptest.Options{}
			if driver == "postgres" {
				opts.Driver, opts.DSN = "postgres", dbtest.PostgresDSN(t)
			}
			e := newConsoleEnv(t, opts)
			c := e.signIn(t, viewer)
			rng := rand.New(rand.NewPCG(7, 9))
			inputs := []string{"acme", "ADA@ACME.DEV", "%", "_", `\`, "'; DROP TABLE installations; --", "a\x00b", "\xff\xfe\xfd",
				"\u202e\U0001F600", strings.Repeat("x", 10_000), strings.Repeat("é", 3000), "icfg_console"}
			for range 30 {
				b := make([]byte, rng.IntN(300))
				for i := range b {
					b[i] = byte(rng.IntN(256))
				}
				inputs = append(inputs, string(b))
			}
			found := 0
			for _, in := range inputs {
				for _, p := range []string{"/console?q=", "/console/deliveries?op=", "/console/deliveries?status=",
					"/console/deliveries?installation=", "/console/webhooks?type=", "/console/webhooks?before=1&before_id=",
					"/console/audit?before="} {
					a := send(t, c, "GET", e.URL+p+url.QueryEscape(in), nil)
					if a.status != http.StatusOK {
						t.Errorf("GET %s%.40q: %d", p, in, a.status)
					}
					if p == "/console?q=" && strings.Contains(a.body, `class="inst-link"`) {
						found++
					}
				}
				a := send(t, c, "GET", e.URL+"/console/installations/"+url.PathEscape(in), nil)
				if a.status >= 500 {
					t.Errorf("GET /console/installations/%.40q: %d", in, a.status)
				}
			}
			if found != 4 { // acme, the contact e-mail in upper case, "_" (a literal one, in the id) and the id's start
				t.Errorf("%d searches found the installation, want 4", found)
			}
		})
	}
}

// TestMembersSeenAtSignInAreFoundByEmail: a member who opened the
// integration from Vercel can be found by their e-mail, and is listed on
// the installation's page.
func TestMembersSeenAtSignInAreFoundByEmail(t *testing.T) {
	t.Parallel()
	e := newConsoleEnv(t, apptest.Options{})
	c := e.signIn(t, operator)
	if a := send(t, c, "GET", e.URL+"/console?q=grace%40globex", nil); strings.Contains(a.body, `class="inst-link"`) {
		t.Fatal("found before the member signed in")
	}
	e.Sim.SetMember(installation, "user_grace", "USER", "Grace@Globex.example")
	code := e.Sim.IssueSSOCode(installation, "user_grace", "USER", nil)
	if a := send(t, browser(t), "GET", vercelsim.SSOCallbackURL(e.URL, code, "s", nil), nil); a.status != http.StatusSeeOther {
		t.Fatalf("the member's sign-in: %d %.300s", a.status, a.body)
	}
	a := send(t, c, "GET", e.URL+"/console?q=grace%40globex", nil)
	if !strings.Contains(a.body, `href="/console/installations/`+installation+`"`) {
		t.Errorf("the member's e-mail does not find the installation: %.600s", a.body)
	}
	if page := send(t, c, "GET", e.URL+"/console/installations/"+installation, nil); !strings.Contains(page.body, "Grace@Globex.example") {
		t.Error("the installation's page does not list the member")
	}
}
