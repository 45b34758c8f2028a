package console_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/app/apptest"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

const (
	operator     = "ops@partner.example"
	viewer       = "vera@viewers.partner.example"
	installation = "icfg_console0000000000000001"
)

var testCatalog = installations.Catalog{{ID: "postgres", Name: "Postgres", Plans: []installations.BillingPlan{
	{ID: "pro200", Type: "subscription", Name: "Pro", Description: "Pro plan", Cost: "$20.00/month"},
}}}

// consoleEnv is the whole server with the console on, the simulator as
// Vercel and as the staff provider, and one installation.
type consoleEnv struct {
	*apptest.Env
}

func newConsoleEnv(t testing.TB, opts apptest.Options) *consoleEnv {
	t.Helper()
	opts.Console = &apptest.Console{Operators: []string{operator}, Viewers: []string{"@viewers.partner.example"}}
	opts.Catalog = testCatalog
	if opts.Deliveries == nil {
		opts.Deliveries = &deliveries.Options{FirstAttemptTimeout: 2 * time.Second, BaseBackoff: 20 * time.Millisecond,
			MaxBackoff: 100 * time.Millisecond, PollInterval: 20 * time.Millisecond, MaxAge: time.Hour, Workers: 2}
	}
	e := &consoleEnv{apptest.New(t, opts)}
	e.Sim.SetAccount(installation, vercelsim.AccountInfo{Name: "Acme Console", URL: "https://vercel.com/acme",
		Contact: &vercelsim.Contact{Email: "ada@acme.dev", Name: "Ada"}})
	if _, err := e.Sim.Install(context.Background(), e.URL, installation); err != nil {
		t.Fatal(err)
	}
	return e
}

// browser is a cookie jar that does not follow redirects, so each step
// of a sign-in can be checked.
func browser(t testing.TB) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type answer struct {
	status   int
	location string
	body     string
	cookies  []*http.Cookie
}

func send(t testing.TB, c *http.Client, method, u string, form url.Values, hdr ...string) answer {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return answer{status: res.StatusCode, location: res.Header.Get("Location"), body: string(b), cookies: res.Cookies()}
}

// startLogin is GET /console/login: it returns the provider's
// authorization request.
func (e *consoleEnv) startLogin(t testing.TB, c *http.Client) url.Values {
	t.Helper()
	a := send(t, c, "GET", e.URL+"/console/login", nil)
	if a.status != http.StatusFound || !strings.HasPrefix(a.location, e.Sim.StaffIssuer()+"/authorize?") {
		t.Fatalf("login: %d to %q", a.status, a.location)
	}
	u, _ := url.Parse(a.location)
	return u.Query()
}

// callbackFor is the provider's answer for email (with claims
// overridden by extra).
func (e *consoleEnv) callbackFor(t testing.TB, q url.Values, email string, extra map[string]any) string {
	t.Helper()
	to, err := e.Sim.StaffAuthorize(q, email, extra)
	if err != nil {
		t.Fatal(err)
	}
	return to
}

// signIn signs email in and returns its browser.
func (e *consoleEnv) signIn(t testing.TB, email string) *http.Client {
	t.Helper()
	c := browser(t)
	a := send(t, c, "GET", e.callbackFor(t, e.startLogin(t, c), email, nil), nil)
	if a.status != http.StatusSeeOther || a.location != "/console" {
		t.Fatalf("callback for %s: %d to %q: %.300s", email, a.status, a.location, a.body)
	}
	return c
}

// post sends a console form as the browser does (same origin).
func (e *consoleEnv) post(t testing.TB, c *http.Client, path string, form url.Values) answer {
	t.Helper()
	return send(t, c, "POST", e.URL+path, form, "Origin", e.URL, "Sec-Fetch-Site", "same-origin")
}
