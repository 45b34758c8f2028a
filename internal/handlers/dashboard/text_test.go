package dashboard_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	"github.com/vercel-partner/partner-server/internal/app/apptest"
	"github.com/vercel-partner/partner-server/internal/db/dbtest"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// TestSignInWithTextNoDatabaseStores signs members in whose id_token (or
// getMember answer) carries a name or e-mail PostgreSQL cannot store. On
// both databases the sign-in succeeds alike, with NUL and invalid UTF-8
// replaced by U+FFFD in the session; never a 5xx.
func TestSignInWithTextNoDatabaseStores(t *testing.T) {
	long := strings.Repeat("a", 199)
	tests := []struct {
		name      string
		claims    map[string]any // id_token claims replaced (nil value: removed)
		member    string         // the e-mail getMember answers, when set
		wantName  string
		wantEmail string
	}{
		{name: "NUL in the name", claims: map[string]any{"user_name": "Ada\x00Lovelace"},
			wantName: "Ada\uFFFDLovelace", wantEmail: "u1@acme.dev"},
		{name: "only a NUL as the name", claims: map[string]any{"user_name": "\x00"},
			wantName: "\uFFFD", wantEmail: "u2@acme.dev"},
		{name: "NUL in the e-mail", claims: map[string]any{"user_email": "ada\x00@acme.dev"},
			wantName: "u3", wantEmail: "ada\uFFFD@acme.dev"},
		{name: "invalid UTF-8 in the name", claims: map[string]any{"user_name": json.RawMessage("\"caf\xe9\"")},
			wantName: "caf\uFFFD", wantEmail: "u4@acme.dev"},
		{name: "lone surrogate in the name", claims: map[string]any{"user_name": json.RawMessage(`"a\ud800b"`)},
			wantName: "a\uFFFDb", wantEmail: "u5@acme.dev"},
		{name: "NUL where the name is cut", claims: map[string]any{"user_name": long + "\x00tail"},
			wantName: long, wantEmail: "u6@acme.dev"},
		{name: "NUL in getMember's e-mail", claims: map[string]any{"user_email": nil}, member: "bob\x00@acme.dev",
			wantName: "u7", wantEmail: "bob\uFFFD@acme.dev"},
	}
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			opts := apptest.Options{Catalog: dashCatalog}
			if driver == "postgres" {
				opts.Driver, opts.DSN = driver, dbtest.PostgresDSN(t)
			}
			e := apptest.New(t, opts)
			if _, err := e.Sim.Install(context.Background(), e.URL, dashInst); err != nil {
				t.Fatal(err)
			}
			for i, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					user := "u" + string(rune('1'+i))
					e.Sim.SetMember(dashInst, user, "ADMIN", tt.member)
					e.Sim.SetMemberName(dashInst, user, user)
					code := e.Sim.IssueSSOCode(dashInst, user, "ADMIN", tt.claims)
					jar, _ := cookiejar.New(nil)
					c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
					resp := get(t, c, vercelsim.SSOCallbackURL(e.URL, code, "state-"+rand.Text()[:8], nil))
					if resp.StatusCode != http.StatusSeeOther {
						t.Fatalf("callback: %d, want 303\n%s", resp.StatusCode, resp.body)
					}
					var s struct {
						Name  string `db:"user_name"`
						Email string `db:"user_email"`
					}
					if err := e.App.DB.Get(&s, e.App.DB.Rebind(`SELECT user_name, user_email FROM sessions WHERE user_id = ?`), user); err != nil {
						t.Fatal(err)
					}
					if s.Name != tt.wantName || s.Email != tt.wantEmail {
						t.Errorf("session holds %q <%s>, want %q <%s>", s.Name, s.Email, tt.wantName, tt.wantEmail)
					}
					if p := get(t, c, e.URL+"/dashboard"); p.StatusCode != http.StatusOK {
						t.Errorf("dashboard: %d", p.StatusCode)
					}
				})
			}
		})
	}
}
