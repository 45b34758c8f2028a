package config

import (
	"slices"
	"strings"
	"testing"
)

func TestPlaceholdersAreNamedByKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []Placeholder
	}{
		{"real values", map[string]string{"PARTNER_VERCEL_CLIENT_ID": "oac_Q2x9Lm3", "PARTNER_PUBLIC_URL": "https://db.acme.dev"}, nil},
		{"the README's client id and secret", map[string]string{"PARTNER_VERCEL_CLIENT_ID": "oac_yourClientId", "PARTNER_VERCEL_CLIENT_SECRET": "your-client-secret"},
			[]Placeholder{{"vercel.client_id", "yourclientid", false}, {"vercel.client_secret", "your-client-secret", true}}},
		{"config.example.yaml's client id", map[string]string{"PARTNER_VERCEL_CLIENT_ID": "oac_replaceWithYourClientId"},
			[]Placeholder{{"vercel.client_id", "yourclientid", false}}},
		{"replace-with text", map[string]string{"PARTNER_DASHBOARD_SUPPORT_URL": "https://replace-with.acme.dev/help", "PARTNER_VERCEL_CLIENT_SECRET": "replaceWithTheSecret"},
			[]Placeholder{{"vercel.client_secret", "replacewith", true}}},
		{"an example host", map[string]string{"PARTNER_PUBLIC_URL": "https://partner.example.com"},
			[]Placeholder{{"public_url", "example", false}}},
		{"a tag to fill in", map[string]string{"PARTNER_DATABASE_DSN": "postgres://partner:<password>@db:5432/partner"},
			[]Placeholder{{"database.dsn", "<...>", true}}},
		{"an ellipsis", map[string]string{"PARTNER_VERCEL_CLIENT_ID": "oac_..."}, []Placeholder{{"vercel.client_id", "...", false}}},
		{"changeme and xxx", map[string]string{"PARTNER_VERCEL_CLIENT_SECRET": "CHANGEME", "PARTNER_INTERNAL_API_TOKENS": "real-token-0123456789,xxxxxxxxxxxxxxxx"},
			[]Placeholder{{"vercel.client_secret", "changeme", true}, {"internal_api.tokens", "xxx", true}}},
		{"mixed-case xXx is random text", map[string]string{"PARTNER_VERCEL_CLIENT_SECRET": "Q7xXx9KpL2mN"}, nil},
	} {
		e := required()
		e["PARTNER_VERCEL_CLIENT_ID"] = "oac_Q2x9Lm3"
		e["PARTNER_VERCEL_CLIENT_SECRET"] = "s3cr3t-Q2x9Lm3"
		for k, v := range tc.env {
			e[k] = v
		}
		c, err := Load("", env(e))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := c.Placeholders(); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestPublicURLIsAnOrigin(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ public, want, problem string }{
		{"https://partner.acme.dev", "https://partner.acme.dev", ""},
		{"https://partner.acme.dev/", "https://partner.acme.dev", ""},
		{"http://localhost:8080", "http://localhost:8080", ""},
		{"https://acme.dev/partner", "", `public_url: "https://acme.dev/partner" must be an origin only, like https://acme.dev`},
		{"https://acme.dev/partner/", "", "must be an origin only"},
		{"https://acme.dev//", "", "must be an origin only"},
		{"https://acme.dev?x=1", "", "must be an origin only"},
		{"https://acme.dev/#top", "", "must be an origin only"},
		{"https://ops:pw@acme.dev", "", `public_url: "https://ops:xxxxx@acme.dev" must not carry a user or password`},
		{"acme.dev", "", "is not an http(s) URL"},
	} {
		e := required()
		e["PARTNER_PUBLIC_URL"] = tc.public
		c, err := Load("", env(e))
		switch {
		case tc.problem == "" && err != nil:
			t.Errorf("%q: %v", tc.public, err)
		case tc.problem == "" && c.PublicURL != tc.want:
			t.Errorf("%q: public_url %q, want %q", tc.public, c.PublicURL, tc.want)
		case tc.problem != "" && (err == nil || !strings.Contains(err.Error(), tc.problem)):
			t.Errorf("%q: got %v, want %q", tc.public, err, tc.problem)
		case tc.problem != "" && strings.Contains(err.Error(), "pw@"):
			t.Errorf("%q: the error shows the password: %v", tc.public, err)
		}
	}
}
