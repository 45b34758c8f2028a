package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/app/apptest"
	"github.com/vercel-partner/partner-server/internal/config"
)

func TestSignInWithPKCEStateAndNonceStartsASession(t *testing.T) {
	t.Parallel()
	e := newConsoleEnv(t, apptest.Options{})
	c := browser(t)
	if a := send(t, c, "GET", e.URL+"/console", nil); a.status != http.StatusSeeOther || a.location != "/console/login" {
		t.Fatalf("without a session: %d to %q", a.status, a.location)
	}
	if a := e.post(t, c, "/console/deliveries/dlv_x/retry", url.Values{}); a.status != http.StatusSeeOther || a.location != "/console/login" {
		t.Fatalf("a form without a session: %d to %q", a.status, a.location)
	}
	q := e.startLogin(t, c)
	for k, want := range map[string]string{"client_id": apptest.ConsoleClientID, "response_type": "code",
		"redirect_uri": e.URL + "/console/callback", "code_challenge_method": "S256"} {
		if q.Get(k) != want {
			t.Errorf("authorization request %s = %q, want %q", k, q.Get(k), want)
		}
	}
	if len(q.Get("state")) < 20 || len(q.Get("nonce")) < 20 || len(q.Get("code_challenge")) < 40 || !strings.Contains(q.Get("scope"), "openid") {
		t.Errorf("state, nonce, challenge or scope missing: %v", q)
	}
	a := send(t, c, "GET", e.callbackFor(t, q, "OPS@partner.example", nil), nil)
	if a.status != http.StatusSeeOther || a.location != "/console" {
		t.Fatalf("callback: %d to %q", a.status, a.location)
	}
	var session *http.Cookie
	for _, k := range a.cookies {
		if k.Name == "partner_console" && k.MaxAge > 0 {
			session = k
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie %+v in %+v", session, a.cookies)
	}
	page := send(t, c, "GET", e.URL+"/console", nil)
	if page.status != 200 || !strings.Contains(page.body, operator) || !strings.Contains(page.body, `id="staff-role">operator`) {
		t.Fatalf("console: %d %.500s", page.status, page.body)
	}
	if strings.Contains(e.Logs.String(), q.Get("state")) || strings.Contains(e.Logs.String(), "id_token\":\"ey") {
		t.Error("the logs hold the state or an id_token")
	}
	// The customers' dashboard does not take the console's cookie.
	if d := send(t, c, "GET", e.URL+"/dashboard", nil); d.status != http.StatusSeeOther || d.location != "/signin" {
		t.Errorf("dashboard with a console session: %d to %q", d.status, d.location)
	}
	if a := e.post(t, c, "/console/logout", url.Values{}); a.status != http.StatusSeeOther {
		t.Fatalf("logout: %d", a.status)
	}
	if a := send(t, c, "GET", e.URL+"/console", nil); a.status != http.StatusSeeOther || a.location != "/console/login" {
		t.Errorf("after logout: %d to %q", a.status, a.location)
	}
}

// TestBadCallbacksStartNoSession: every way a callback can be wrong ends
// on an HTML page with 400, 401 or 403, and no session.
func TestBadCallbacksStartNoSession(t *testing.T) {
	t.Parallel()
	e := newConsoleEnv(t, apptest.Options{})
	past := time.Now().Add(-time.Hour).Unix()
	for _, tc := range []struct {
		name   string
		status int
		says   string // in the page
		// callback returns the URL to GET with browser c.
		callback func(t *testing.T, c *http.Client) string
	}{
		{"a wrong state", 400, "does not match", func(t *testing.T, c *http.Client) string {
			to := e.callbackFor(t, e.startLogin(t, c), operator, nil)
			u, _ := url.Parse(to)
			q := u.Query()
			q.Set("state", "AAAAAAAAAAAAAAAAAAAAAAAAAA")
			u.RawQuery = q.Encode()
			return u.String()
		}},
		{"a callback from another browser", 400, "not started in this browser", func(t *testing.T, c *http.Client) string {
			return e.callbackFor(t, e.startLogin(t, browser(t)), operator, nil)
		}},
		{"a replayed callback, even with its state cookie", 400, "already used", func(t *testing.T, c *http.Client) string {
			to := e.callbackFor(t, e.startLogin(t, c), operator, nil)
			u, _ := url.Parse(to)
			saved := c.Jar.Cookies(u)
			if a := send(t, c, "GET", to, nil); a.status != http.StatusSeeOther {
				t.Fatalf("first use: %d", a.status)
			}
			send(t, c, "POST", e.URL+"/console/logout", url.Values{}, "Origin", e.URL)
			c.Jar.SetCookies(u, saved)
			return to
		}},
		{"a used code with a fresh state", 400, "refused the sign-in code", func(t *testing.T, c *http.Client) string {
			used, _ := url.Parse(e.callbackFor(t, e.startLogin(t, c), operator, nil))
			other := browser(t)
			send(t, other, "GET", used.String(), nil) // the code is exchanged here
			fresh, _ := url.Parse(e.callbackFor(t, e.startLogin(t, c), operator, nil))
			q := fresh.Query()
			q.Set("code", used.Query().Get("code"))
			fresh.RawQuery = q.Encode()
			return fresh.String()
		}},
		{"an id_token for another client", 401, "could not be verified", func(t *testing.T, c *http.Client) string {
			return e.callbackFor(t, e.startLogin(t, c), operator, map[string]any{"aud": "another-client"})
		}},
		{"an id_token with another nonce", 401, "could not be verified", func(t *testing.T, c *http.Client) string {
			return e.callbackFor(t, e.startLogin(t, c), operator, map[string]any{"nonce": "not-the-one-we-sent"})
		}},
		{"an id_token without a nonce", 401, "", func(t *testing.T, c *http.Client) string {
			return e.callbackFor(t, e.startLogin(t, c), operator, map[string]any{"nonce": nil})
		}},
		{"an expired id_token", 401, "", func(t *testing.T, c *http.Client) string {
			return e.callbackFor(t, e.startLogin(t, c), operator, map[string]any{"exp": past})
		}},
		{"an id_token of another issuer", 401, "", func(t *testing.T, c *http.Client) string {
			return e.callbackFor(t, e.startLogin(t, c), operator, map[string]any{"iss": e.Sim.Issuer()})
		}},
		{"an unverified e-mail", 403, "is verified", func(t *testing.T, c *http.Client) string {
			return e.callbackFor(t, e.startLogin(t, c), operator, map[string]any{"email_verified": false})
		}},
		{"no email_verified claim", 403, "", func(t *testing.T, c *http.Client) string {
			return e.callbackFor(t, e.startLogin(t, c), operator, map[string]any{"email_verified": nil})
		}},
		{"an e-mail not allowed", 403, "not allowed to use this console", func(t *testing.T, c *http.Client) string {
			return e.callbackFor(t, e.startLogin(t, c), "mallory@elsewhere.example", nil)
		}},
		{"a subdomain of an allowed domain", 403, "", func(t *testing.T, c *http.Client) string {
			return e.callbackFor(t, e.startLogin(t, c), "x@evil.viewers.partner.example", nil)
		}},
		{"the provider's refusal", 401, "", func(t *testing.T, c *http.Client) string {
			q := e.startLogin(t, c)
			return e.URL + "/console/callback?error=access_denied&state=" + url.QueryEscape(q.Get("state"))
		}},
		{"no code", 400, "", func(t *testing.T, c *http.Client) string {
			q := e.startLogin(t, c)
			return e.URL + "/console/callback?state=" + url.QueryEscape(q.Get("state"))
		}},
		{"a huge code", 400, "", func(t *testing.T, c *http.Client) string {
			q := e.startLogin(t, c)
			return e.URL + "/console/callback?code=" + strings.Repeat("x", 5000) + "&state=" + url.QueryEscape(q.Get("state"))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := browser(t)
			a := send(t, c, "GET", tc.callback(t, c), nil)
			if a.status != tc.status || !strings.Contains(a.body, `id="error"`) || !strings.Contains(a.body, tc.says) {
				t.Fatalf("%d, want %d with an error page: %.400s", a.status, tc.status, a.body)
			}
			for _, k := range a.cookies {
				if k.Name == "partner_console" && k.MaxAge > 0 {
					t.Errorf("a session cookie was set: %+v", k)
				}
			}
			if p := send(t, c, "GET", e.URL+"/console", nil); p.status != http.StatusSeeOther {
				t.Errorf("after the bad callback /console answers %d, want 303 to sign in", p.status)
			}
		})
	}
}

func TestConsoleIsOffUnlessConfigured(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{})
	for _, p := range []string{"/console", "/console/login", "/console/callback?code=x&state=y", "/console/installations/icfg_1"} {
		res, err := http.Get(e.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s without a console: %d, want 404", p, res.StatusCode)
		}
	}
}

func TestSignInsFromOneAddressAreLimited(t *testing.T) {
	t.Parallel()
	e := newConsoleEnv(t, apptest.Options{})
	limited := 0
	for range 40 {
		if a := send(t, browser(t), "GET", e.URL+"/console/login", nil); a.status == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited == 0 {
		t.Error("40 sign-ins from one address were all started")
	}
}

func TestAnUnreachableProviderIsAClearPage(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{Config: func(c *config.Config) {
		c.Console = config.Console{OIDC: config.ConsoleOIDC{Issuer: "http://127.0.0.1:1/staff", ClientID: "c", ClientSecret: "s"},
			Operators: []string{operator}}
	}})
	a := send(t, browser(t), "GET", e.URL+"/console/login", nil)
	if a.status != http.StatusServiceUnavailable || !strings.Contains(a.body, "sign-in provider did not answer") {
		t.Errorf("login with the provider down: %d %.300s", a.status, a.body)
	}
}
