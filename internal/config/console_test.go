package config

import (
	"reflect"
	"strings"
	"testing"
)

// base is the environment of a valid configuration without a console.
func base(extra map[string]string) func(string) string {
	m := map[string]string{"PARTNER_ENCRYPTION_KEY": testKey, "PARTNER_VERCEL_CLIENT_ID": "oac_x", "PARTNER_VERCEL_CLIENT_SECRET": "s"}
	for k, v := range extra {
		m[k] = v
	}
	return env(m)
}

func TestConsoleIsOffUntilConfigured(t *testing.T) {
	t.Parallel()
	c, err := Load("", base(nil))
	if err != nil || c.Console.Enabled() {
		t.Fatalf("console enabled=%v err=%v", c.Console.Enabled(), err)
	}
}

func TestConsoleKeys(t *testing.T) {
	t.Parallel()
	full := map[string]string{
		"PARTNER_CONSOLE_OIDC_ISSUER":        "https://accounts.example.com",
		"PARTNER_CONSOLE_OIDC_CLIENT_ID":     "console-client",
		"PARTNER_CONSOLE_OIDC_CLIENT_SECRET": "console-secret",
		"PARTNER_CONSOLE_OPERATORS":          "ops@partner.example, @billing.partner.example",
		"PARTNER_CONSOLE_VIEWERS":            "@partner.example",
	}
	without := func(drop string, set map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range full {
			if k != drop {
				m[k] = v
			}
		}
		for k, v := range set {
			m[k] = v
		}
		return m
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string // problems named; none: valid
	}{
		{"complete", full, nil},
		{"operators only, no viewers", without("PARTNER_CONSOLE_VIEWERS", nil), nil},
		{"no client secret", without("PARTNER_CONSOLE_OIDC_CLIENT_SECRET", nil), []string{"console.oidc.client_secret is required"}},
		{"people but no provider", map[string]string{"PARTNER_CONSOLE_OPERATORS": "ops@partner.example"},
			[]string{"console.oidc.issuer is required", "console.oidc.client_id is required"}},
		{"provider but nobody", without("PARTNER_CONSOLE_OPERATORS", map[string]string{"PARTNER_CONSOLE_VIEWERS": ""}),
			[]string{"console.operators or console.viewers must list"}},
		{"issuer not a URL", without("", map[string]string{"PARTNER_CONSOLE_OIDC_ISSUER": "accounts.example.com"}),
			[]string{"console.oidc.issuer"}},
		{"bad entries", without("", map[string]string{"PARTNER_CONSOLE_OPERATORS": "ops, @, @-bad-.example, Ops <ops@x.example>"}),
			[]string{"console.operators[0]", "console.operators[1]", "console.operators[2]", "console.operators[3]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load("", base(tc.env))
			if len(tc.want) == 0 {
				if err != nil || !c.Console.Enabled() {
					t.Fatalf("want a valid console, got %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("want problems %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q is not named in %v", w, err)
				}
			}
		})
	}
}

func TestInternalTokensTakeNames(t *testing.T) {
	t.Parallel()
	path := writeFile(t, "c.yaml", `
internal_api:
  tokens:
    - bare-token-aaaaaaaaaaaa
    - name: billing-job
      token: named-token-bbbbbbbbbbbb
`)
	c, err := Load(path, base(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := []InternalToken{{"token-1", "bare-token-aaaaaaaaaaaa"}, {"billing-job", "named-token-bbbbbbbbbbbb"}}
	if got := c.InternalAPI.Tokens.Named(); !reflect.DeepEqual(got, want) {
		t.Errorf("named tokens %+v, want %+v", got, want)
	}

	for _, tc := range []struct {
		name, value string
		want        []InternalToken
	}{
		{"comma list", "one-aaaaaaaaaaaaaaaa, two-bbbbbbbbbbbbbbbb",
			[]InternalToken{{"token-1", "one-aaaaaaaaaaaaaaaa"}, {"token-2", "two-bbbbbbbbbbbbbbbb"}}},
		{"JSON with names", `[{"name":"crm","token":"crm-aaaaaaaaaaaaaaaa"},"bare-bbbbbbbbbbbbbbbb"]`,
			[]InternalToken{{"crm", "crm-aaaaaaaaaaaaaaaa"}, {"token-2", "bare-bbbbbbbbbbbbbbbb"}}},
	} {
		c, err := Load("", base(map[string]string{"PARTNER_INTERNAL_API_TOKENS": tc.value}))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := c.InternalAPI.Tokens.Named(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestInternalTokenMistakesAreNamed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, value, want string }{
		{"short", "short", "internal_api.tokens[0]: must be at least 16"},
		{"duplicate names", `[{"name":"a","token":"aaaaaaaaaaaaaaaaaaaa"},{"name":"a","token":"bbbbbbbbbbbbbbbbbbbb"}]`,
			`internal_api.tokens[1].name: "a" names another token`},
		{"a name clashing with a bare token's", `["aaaaaaaaaaaaaaaaaaaa",{"name":"token-1","token":"bbbbbbbbbbbbbbbbbbbb"}]`,
			`internal_api.tokens[1].name: "token-1"`},
		{"bad name", `[{"name":"a b","token":"aaaaaaaaaaaaaaaaaaaa"}]`, "internal_api.tokens[0].name"},
		{"unknown key", `[{"name":"a","secret":"aaaaaaaaaaaaaaaaaaaa"}]`, "internal_api.tokens"},
	} {
		_, err := Load("", base(map[string]string{"PARTNER_INTERNAL_API_TOKENS": tc.value}))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "aaaaaaaaaaaa") {
			t.Errorf("%s: the error shows a token: %v", tc.name, err)
		}
	}
}
