package dashboard_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

func TestCallbackDeepLinks(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t)
	inv := e.submitInvoice(t)
	tests := []struct {
		name   string
		params url.Values
		want   string
	}{
		{"no context", nil, "/dashboard"},
		{"resource", url.Values{"resource_id": {dashResource}}, "/dashboard/resources/" + dashResource},
		{"resource keeps project and check", url.Values{"resource_id": {dashResource}, "project_id": {"prj_abc"}, "check_id": {"chk_1"}},
			"/dashboard/resources/" + dashResource + "?check_id=chk_1&project_id=prj_abc"},
		{"resource with path=secrets", url.Values{"resource_id": {dashResource}, "path": {"secrets"}}, "/dashboard/resources/" + dashResource + "#secrets"},
		{"resource of another installation", url.Values{"resource_id": {"db_notours"}}, "/dashboard"},
		{"invoice", url.Values{"invoice_id": {inv}}, "/dashboard/invoices/" + inv},
		{"unknown invoice", url.Values{"invoice_id": {"inv_nope"}}, "/dashboard"},
		{"path billing", url.Values{"path": {"billing"}}, "/dashboard/invoices"},
		{"path usage", url.Values{"path": {"usage"}}, "/dashboard/invoices#usage"},
		{"path support", url.Values{"path": {"support"}}, "/dashboard/support"},
		{"path onboarding", url.Values{"path": {"onboarding"}}, "/dashboard#getting-started"},
		{"path secrets", url.Values{"path": {"secrets"}}, "/dashboard/resources"},
		{"unknown path", url.Values{"path": {"../../etc"}}, "/dashboard"},
		{"own url", url.Values{"url": {e.srv.URL + "/dashboard/support?x=1"}}, "/dashboard/support?x=1"},
		{"relative own url", url.Values{"url": {"/dashboard/invoices"}}, "/dashboard/invoices"},
		{"evil url", url.Values{"url": {"https://evil.example/"}}, "/dashboard"},
		{"scheme-relative url", url.Values{"url": {"//evil.example/x"}}, "/dashboard"},
		{"backslash url", url.Values{"url": {"/\\evil.example"}}, "/dashboard"},
		{"javascript url", url.Values{"url": {"javascript:alert(1)"}}, "/dashboard"},
		{"unknown params ignored", url.Values{"pr": {"https://github.com/x/y/pull/1"}, "experimentation_item_id": {"flag:1"}, "zzz": {"1"}}, "/dashboard"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, loc := e.signIn(t, dashAdmin, vercelapi.RoleAdmin, tt.params)
			if loc != tt.want {
				t.Fatalf("Location = %q, want %q", loc, tt.want)
			}
			// The landing page renders for the signed-in user.
			target, _, _ := strings.Cut(loc, "#")
			p := get(t, c, e.srv.URL+target)
			if p.StatusCode != http.StatusOK || !strings.Contains(p.body, "Ada Lovelace") {
				t.Fatalf("landing %s: status %d; body %.300s", target, p.StatusCode, p.body)
			}
		})
	}
}

func TestCallbackSetsSafeSessionCookie(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t)
	u, _ := e.callbackURL(dashAdmin, vercelapi.RoleAdmin, url.Values{"resource_id": {dashResource}})
	resp := get(t, e.browser(t), u)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d", resp.StatusCode)
	}
	cookies := resp.Cookies()
	if len(cookies) != 1 {
		t.Fatalf("cookies = %v", cookies)
	}
	c := cookies[0]
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure || len(c.Value) != 26 {
		t.Fatalf("cookie %+v", c)
	}
	if got := resp.Header.Get("Cross-Origin-Opener-Policy"); got != "unsafe-none" {
		t.Fatalf("COOP on /callback = %q", got)
	}
	if got := resp.Header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Fatalf("Referrer-Policy on /callback = %q", got)
	}
	// The stored key is a hash: the raw id is nowhere in the table.
	var n int
	if err := e.db.Get(&n, `SELECT COUNT(*) FROM sessions WHERE id_hash = ?`, c.Value); err != nil || n != 0 {
		t.Fatalf("raw session id stored (n=%d, err=%v)", n, err)
	}
	// Each sign-in gets a new id, and the old session ends.
	jar := e.browser(t)
	first := get(t, jar, u) // the code was used: error page, no new cookie
	if first.StatusCode == http.StatusSeeOther {
		t.Fatal("a reused code signed in")
	}
	c1, _ := e.signIn(t, dashAdmin, vercelapi.RoleAdmin, nil)
	srvURL, _ := url.Parse(e.srv.URL)
	id1 := c1.Jar.Cookies(srvURL)[0].Value
	u2, _ := e.callbackURL(dashAdmin, vercelapi.RoleAdmin, nil)
	if r := get(t, c1, u2); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("second sign-in: %d", r.StatusCode)
	}
	id2 := c1.Jar.Cookies(srvURL)[0].Value
	if id1 == id2 {
		t.Fatal("session id not renewed at sign-in")
	}
	if n := e.sessionCount(t); n != 2 { // the first test sign-in and c1's second
		t.Fatalf("sessions = %d, want 2 (the replaced one ended)", n)
	}
}

// forgedToken signs claims with a key the simulator never published.
func forgedToken(t *testing.T, kid string, claims map[string]any) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := jws.CompactSerialize()
	return s
}

func TestCallbackRefusals(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t)
	_, kid := e.sim.SigningKey()
	claims := func(over map[string]any) map[string]any {
		now := time.Now()
		c := map[string]any{
			"iss": e.sim.Issuer(), "aud": e.sim.ClientID(), "sub": "account:ab:user:cd", "account_id": "ab",
			"installation_id": dashInst, "user_id": dashAdmin, "user_role": "ADMIN", "type": "id_token",
			"user_name": "Mallory", "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		}
		for k, v := range over {
			c[k] = v
		}
		return c
	}
	used := e.sim.IssueSSOCode(dashInst, dashAdmin, vercelapi.RoleAdmin, nil)
	if r := get(t, e.browser(t), vercelsim.SSOCallbackURL(e.srv.URL, used, "s", nil)); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("first use: %d", r.StatusCode)
	}
	// Control: the hand-made claims do sign in when nothing is wrong.
	good := e.sim.IssueSSOCodeClaims(claims(nil))
	if r := get(t, e.browser(t), vercelsim.SSOCallbackURL(e.srv.URL, good, "s", nil)); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("control sign-in: %d %.300s", r.StatusCode, r.body)
	}
	before := e.sessionCount(t)
	tests := []struct {
		name   string
		setup  func() string // returns the code to present
		status int
	}{
		{"reused code", func() string { return used }, http.StatusBadRequest},
		{"unknown code", func() string { return "nonsense" }, http.StatusBadRequest},
		{"missing code", func() string { return "" }, http.StatusBadRequest},
		{"exchange fails 500", func() string {
			e.sim.Enqueue(vercelsim.RouteSSOToken, vercelsim.Fault{Status: 500})
			return e.sim.IssueSSOCode(dashInst, dashAdmin, "ADMIN", nil)
		}, http.StatusBadGateway},
		{"exchange answers 503", func() string {
			e.sim.Enqueue(vercelsim.RouteSSOToken, vercelsim.Fault{Status: 503})
			return e.sim.IssueSSOCode(dashInst, dashAdmin, "ADMIN", nil)
		}, http.StatusBadGateway},
		{"exchange refuses our client", func() string {
			e.sim.Enqueue(vercelsim.RouteSSOToken, vercelsim.Fault{Status: 403})
			return e.sim.IssueSSOCode(dashInst, dashAdmin, "ADMIN", nil)
		}, http.StatusBadGateway},
		{"forged id_token", func() string {
			body, _ := json.Marshal(map[string]any{"id_token": forgedToken(t, kid, claims(nil)), "access_token": nil, "token_type": nil})
			e.sim.Enqueue(vercelsim.RouteSSOToken, vercelsim.Fault{Status: 200, Body: string(body),
				Header: http.Header{"Content-Type": {"application/json"}}})
			return e.sim.IssueSSOCode(dashInst, dashAdmin, "ADMIN", nil)
		}, http.StatusUnauthorized},
		{"expired id_token", func() string {
			return e.sim.IssueSSOCodeClaims(claims(map[string]any{"exp": time.Now().Add(-time.Hour).Unix(), "iat": time.Now().Add(-2 * time.Hour).Unix()}))
		}, http.StatusUnauthorized},
		{"other audience", func() string {
			return e.sim.IssueSSOCodeClaims(claims(map[string]any{"aud": "oac_someoneElse000000000001"}))
		}, http.StatusUnauthorized},
		{"other issuer", func() string {
			return e.sim.IssueSSOCodeClaims(claims(map[string]any{"iss": "https://evil.example"}))
		}, http.StatusUnauthorized},
		{"access token, not id_token", func() string {
			return e.sim.IssueSSOCodeClaims(claims(map[string]any{"type": "access_token"}))
		}, http.StatusUnauthorized},
		{"no user_id", func() string {
			c := claims(nil)
			delete(c, "user_id")
			return e.sim.IssueSSOCodeClaims(c)
		}, http.StatusUnauthorized},
		{"unknown installation", func() string {
			return e.sim.IssueSSOCode("icfg_notOurs00000000000000001", dashAdmin, "ADMIN", nil)
		}, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code := tt.setup()
			r := get(t, e.browser(t), vercelsim.SSOCallbackURL(e.srv.URL, code, "st", url.Values{"resource_id": {dashResource}}))
			if r.StatusCode != tt.status {
				t.Fatalf("status %d, want %d; body %.400s", r.StatusCode, tt.status, r.body)
			}
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Fatalf("Content-Type %q, want an HTML error page", ct)
			}
			if len(r.Cookies()) != 0 || r.Header.Get("Location") != "" {
				t.Fatalf("error answer set cookies %v or redirected to %q", r.Cookies(), r.Header.Get("Location"))
			}
			if code != "" && strings.Contains(r.body, code) {
				t.Fatal("error page shows the code")
			}
			if n := e.sessionCount(t); n != before {
				t.Fatalf("sessions %d, want %d", n, before)
			}
		})
	}
}

func TestCallbackRoleFromGetMember(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t)
	// The token says ADMIN; Vercel's member record says USER: USER wins.
	code := e.sim.IssueSSOCode(dashInst, dashUser, vercelapi.RoleAdmin, nil)
	e.sim.SetMember(dashInst, dashUser, vercelapi.RoleUser, "bob@acme.dev")
	c := e.browser(t)
	if r := get(t, c, vercelsim.SSOCallbackURL(e.srv.URL, code, "s", nil)); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("callback %d: %s", r.StatusCode, r.body)
	}
	if p := get(t, c, e.srv.URL+"/dashboard"); !strings.Contains(p.body, "Read-only") {
		t.Fatalf("role not USER: %.500s", p.body)
	}
	// A member Vercel does not know is refused.
	code = e.sim.IssueSSOCode(dashInst, "dead000000000009", vercelapi.RoleAdmin, nil)
	e.sim.RemoveMember(dashInst, "dead000000000009")
	if r := get(t, e.browser(t), vercelsim.SSOCallbackURL(e.srv.URL, code, "s", nil)); r.StatusCode != http.StatusForbidden {
		t.Fatalf("removed member: %d", r.StatusCode)
	}
	// getMember unreachable: the token's role is used, and the log says so.
	code = e.sim.IssueSSOCode(dashInst, dashUser, vercelapi.RoleUser, nil)
	e.sim.Enqueue(vercelsim.RouteGetMember, vercelsim.Fault{Status: 503}, vercelsim.Fault{Status: 503})
	c = e.browser(t)
	if r := get(t, c, vercelsim.SSOCallbackURL(e.srv.URL, code, "s", nil)); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("fallback callback %d: %s", r.StatusCode, r.body)
	}
	if !strings.Contains(e.logs.String(), "falling back to the id_token's role") {
		t.Fatal("fallback not logged")
	}
}

func TestDashboardNeedsSession(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t)
	for _, path := range []string{"/dashboard", "/dashboard/resources/" + dashResource, "/dashboard/invoices"} {
		r := get(t, e.browser(t), e.srv.URL+path)
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/signin" {
			t.Fatalf("%s: %d -> %q", path, r.StatusCode, r.Header.Get("Location"))
		}
	}
	// A made-up cookie is no session either.
	c := e.browser(t)
	srvURL, _ := url.Parse(e.srv.URL)
	c.Jar.SetCookies(srvURL, []*http.Cookie{{Name: "partner_session", Value: "AAAAAAAAAAAAAAAAAAAAAAAAAA"}})
	if r := get(t, c, e.srv.URL+"/dashboard"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("forged cookie: %d", r.StatusCode)
	}
	p := get(t, e.browser(t), e.srv.URL+"/signin")
	if p.StatusCode != http.StatusOK || !strings.Contains(p.body, "Open in") {
		t.Fatalf("signin page: %d %.300s", p.StatusCode, p.body)
	}
	csp := p.Header.Get("Content-Security-Policy")
	for _, want := range []string{"frame-ancestors 'none'", "default-src 'none'"} {
		if !strings.Contains(csp, want) || strings.Contains(csp, "script-src") {
			t.Fatalf("CSP %q", csp)
		}
	}
	if p.Header.Get("X-Content-Type-Options") != "nosniff" || p.Header.Get("Referrer-Policy") == "" ||
		p.Header.Get("Cross-Origin-Opener-Policy") != "same-origin" {
		t.Fatalf("headers %v", p.Header)
	}
}
