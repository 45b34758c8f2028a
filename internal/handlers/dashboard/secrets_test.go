package dashboard_test

import (
	"bytes"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// TestSignInLeavesNoSecrets signs in (and fails to) several ways, then
// reads every byte of the database files and the captured logs: neither
// the id_token (nor any part of it), the code, the client secret nor the
// raw session id may appear anywhere.
func TestSignInLeavesNoSecrets(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t)
	var codes, sessionIDs []string
	srvURL, _ := url.Parse(e.srv.URL)
	for _, params := range []url.Values{nil, {"resource_id": {dashResource}}, {"url": {"https://evil.example/"}}} {
		u, code := e.callbackURL(dashAdmin, vercelapi.RoleAdmin, params)
		c := e.browser(t)
		if r := get(t, c, u); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign-in: %d", r.StatusCode)
		}
		codes = append(codes, code)
		for _, ck := range c.Jar.Cookies(srvURL) {
			sessionIDs = append(sessionIDs, ck.Value)
		}
		// Replaying the code fails, logging the refusal.
		get(t, c, u)
		if p := get(t, c, e.srv.URL+"/dashboard"); p.StatusCode != http.StatusOK {
			t.Fatalf("dashboard: %d", p.StatusCode)
		}
	}
	// A token that fails verification and a failed exchange log too.
	bad := e.sim.IssueSSOCodeClaims(map[string]any{"iss": e.sim.Issuer(), "aud": "oac_other", "installation_id": dashInst, "user_id": dashAdmin, "exp": 1})
	codes = append(codes, bad)
	get(t, e.browser(t), vercelsim.SSOCallbackURL(e.srv.URL, bad, "st", nil))
	e.sim.Enqueue(vercelsim.RouteSSOToken, vercelsim.Fault{Status: 500})
	failed := e.sim.IssueSSOCode(dashInst, dashAdmin, vercelapi.RoleAdmin, nil)
	codes = append(codes, failed)
	get(t, e.browser(t), vercelsim.SSOCallbackURL(e.srv.URL, failed, "st", nil))

	tokens := e.capture.tokens()
	if len(tokens) < 4 {
		t.Fatalf("captured %d id_tokens, want at least 4", len(tokens))
	}
	var needles []string
	for _, tok := range tokens {
		parts := strings.Split(tok, ".")
		if len(parts) != 3 {
			t.Fatalf("odd token shape")
		}
		needles = append(needles, tok, parts[1], parts[2])
	}
	needles = append(needles, codes...)
	needles = append(needles, sessionIDs...)
	needles = append(needles, e.sim.ClientSecret())

	var files [][]byte
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		b, err := os.ReadFile(e.dbPath + suffix)
		if err != nil {
			if suffix == "" || suffix == "-wal" {
				t.Fatalf("read %s: %v", e.dbPath+suffix, err)
			}
			continue
		}
		files = append(files, b)
	}
	if len(files[1]) == 0 {
		t.Fatal("the -wal file is empty; the test would prove nothing about it")
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "sso: signed in") || !strings.Contains(logs, "code exchange") {
		t.Fatalf("logs were not captured: %.500s", logs)
	}
	for _, n := range needles {
		for i, f := range files {
			if bytes.Contains(f, []byte(n)) {
				t.Errorf("database file %d holds a secret (%.8s...)", i, n)
			}
		}
		if strings.Contains(logs, n) {
			t.Errorf("logs hold a secret (%.8s...)", n)
		}
	}
	// Sanity: the sessions are really in those bytes.
	if !bytes.Contains(append(files[0], files[1]...), []byte(dashAdmin)) {
		t.Fatal("user id not found in the database files: were the right files read?")
	}
}
