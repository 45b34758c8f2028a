package config

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func required() map[string]string {
	return map[string]string{
		"PARTNER_ENCRYPTION_KEY": testKey, "PARTNER_VERCEL_CLIENT_ID": "oac_x", "PARTNER_VERCEL_CLIENT_SECRET": "s",
	}
}

func TestUnknownEnvNamesMisspellings(t *testing.T) {
	t.Parallel()
	got := UnknownEnv([]string{
		"PARTNER_LISTEN=127.0.0.1:1",
		"PARTNER_VERCEL_CLIENT_SECRET_FILE=/run/s",
		"PARTNER_LISTNE=127.0.0.1:2",
		"PARTNER_DATABASE_URL=postgres://x",
		"PARTNER_TEST_POSTGRES_DSN=postgres://y",
		"HOME=/root",
		"PARTNER_ENCRYPTION_KEY_FIEL=/k",
	})
	want := []string{"PARTNER_LISTNE", "PARTNER_DATABASE_URL", "PARTNER_ENCRYPTION_KEY_FIEL"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestUnreadableFileVariableNamesThePath(t *testing.T) {
	t.Parallel()
	env := required()
	missing := filepath.Join(t.TempDir(), "no-such-secret")
	env["PARTNER_VERCEL_CLIENT_SECRET"] = ""
	env["PARTNER_VERCEL_CLIENT_SECRET_FILE"] = missing
	_, err := Load("", func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "PARTNER_VERCEL_CLIENT_SECRET_FILE): cannot read "+missing+": no such file") {
		t.Errorf("want the path named, got %v", err)
	}
}

func TestPublicURLFollowsListenUnlessSet(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ listen, public, want string }{
		{"", "", "http://localhost:8080"},
		{"127.0.0.1:9090", "", "http://localhost:9090"},
		{"0.0.0.0:9091", "", "http://localhost:9091"},
		{":9092", "", "http://localhost:9092"},
		{"[::]:9093", "", "http://localhost:9093"},
		{"10.0.0.5:9094", "", "http://10.0.0.5:9094"},
		{"partner.internal:9095", "", "http://partner.internal:9095"},
		{"127.0.0.1:9096", "https://partner.example", "https://partner.example"},
	} {
		env := required()
		env["PARTNER_LISTEN"], env["PARTNER_PUBLIC_URL"] = tc.listen, tc.public
		c, err := Load("", func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		if c.PublicURL != tc.want {
			t.Errorf("listen %q public %q: got %q, want %q", tc.listen, tc.public, c.PublicURL, tc.want)
		}
	}
}

func TestYAMLErrorsAreOneLineWithoutGoTypes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ body, want string }{
		{"listen: 127.0.0.1:1\n\nlisen: x\n", `c.yaml line 3: unknown key "lisen"`},
		{"deliveries:\n  workers: many\n  max_age: 3\n",
			`c.yaml line 2: want an integer; ` + "%PATH%" + ` line 3: want a duration (e.g. 30s, 5m)`},
		{"encryption_key: [c2VjcmV0LXZhbHVl]\n", `c.yaml line 1: want a string`},
		{"products: 3\n", `c.yaml line 1: want a list`},
		{"listen: [a\n", `c.yaml line 1: did not find expected ',' or ']'`},
	} {
		path := writeFile(t, "c.yaml", tc.body)
		_, err := Load(path, func(string) string { return "" })
		want := "config: " + filepath.Dir(path) + "/" + strings.ReplaceAll(tc.want, "%PATH%", path)
		if err == nil || err.Error() != want {
			t.Errorf("%q:\n got %v\nwant %s", tc.body, err, want)
		}
		if err != nil && (strings.ContainsAny(err.Error(), "\n`") || strings.Contains(err.Error(), "c2VjcmV0")) {
			t.Errorf("not one plain line: %q", err)
		}
	}
}

func TestLoadDatabaseNeedsOnlyTheDatabase(t *testing.T) {
	t.Parallel()
	c, err := LoadDatabase("", env(map[string]string{"PARTNER_DATABASE_DRIVER": "postgres", "PARTNER_DATABASE_DSN": "postgres://db/x"}))
	if err != nil {
		t.Fatalf("want no error without secrets, got %v", err)
	}
	if c.Database.Driver != "postgres" || c.Database.DSN != "postgres://db/x" {
		t.Errorf("got %+v", c.Database)
	}
	if _, err := LoadDatabase("", env(map[string]string{"PARTNER_DATABASE_DRIVER": "mysql"})); err == nil || !strings.Contains(err.Error(), "database.driver") {
		t.Errorf("want the driver refused, got %v", err)
	}
	if _, err := Load("", env(map[string]string{"PARTNER_DATABASE_DSN": "x.db"})); err == nil {
		t.Error("Load must still require the secrets")
	}
}
