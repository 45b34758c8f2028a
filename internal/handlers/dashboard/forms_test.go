package dashboard_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vercel-partner/partner-server/internal/config"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// TestRefusedFormsShowTheirErrorInline: a bad rename or plan answers 400 with the same page and the message beside the form, not an
// error page instead of it.
func TestRefusedFormsShowTheirErrorInline(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t)
	admin, _ := e.signIn(t, dashAdmin, vercelapi.RoleAdmin, nil)
	res := e.srv.URL + "/dashboard/resources/" + dashResource
	for _, c := range []struct{ url, errID, form string }{
		{res + "/rename", "rename-error", `name=`},
		{res + "/plan", "plan-error", `plan=nope`},
	} {
		form, _ := url.ParseQuery(c.form)
		p := postForm(t, admin, c.url, form)
		if p.StatusCode != http.StatusBadRequest || !strings.Contains(p.body, `id="`+c.errID+`"`) ||
			!strings.Contains(p.body, "<form") {
			t.Errorf("%s: %d, want 400 with the page and #%s: %.400s", c.url, p.StatusCode, c.errID, p.body)
		}
	}
}

// TestSupportContactAndTheWayToVercel: the support page shows the
// configured contact; the sign-in page links to the Vercel dashboard.
func TestSupportContactAndTheWayToVercel(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, func(c *config.Config) {
		c.Dashboard.SupportEmail, c.Dashboard.SupportURL = "help@partner.example", "https://partner.example/help"
		c.Dashboard.VercelURL = "http://127.0.0.1:8090/"
	})
	user, _ := e.signIn(t, dashUser, vercelapi.RoleUser, nil)
	p := get(t, user, e.srv.URL+"/dashboard/support")
	if !strings.Contains(p.body, "mailto:help@partner.example") || !strings.Contains(p.body, "https://partner.example/help") {
		t.Errorf("support page without the contact: %.600s", p.body)
	}
	anon := e.browser(t)
	if p := get(t, anon, e.srv.URL+"/signin"); !strings.Contains(p.body, `href="http://127.0.0.1:8090/"`) {
		t.Errorf("sign-in page without the way to Vercel: %.600s", p.body)
	}
}
