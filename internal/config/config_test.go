package config

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var testKey = base64.StdEncoding.EncodeToString(make([]byte, 32))

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMissingKeysAreAllReportedAtOnce(t *testing.T) {
	t.Parallel()
	_, err := Load("", env(nil))
	if err == nil {
		t.Fatal("want an error")
	}
	msg := err.Error()
	for _, key := range []string{"encryption_key", "vercel.client_id", "vercel.client_secret"} {
		if !strings.Contains(msg, key) {
			t.Errorf("error does not name %s: %s", key, msg)
		}
	}
	if strings.Count(msg, "\n") > 0 {
		t.Errorf("want one line, got %q", msg)
	}
}

func TestEnvOverridesFileAndDefaultsApply(t *testing.T) {
	t.Parallel()
	path := writeFile(t, "c.yaml", `
listen: 0.0.0.0:9000
vercel:
  client_id: oac_fromFile
  client_secret: file-secret
  issuer: https://issuer.example/
internal_api:
  tokens: [file-token-aaaaaaaaaaaa]
`)
	secret := writeFile(t, "secret", "secret-from-file\n")
	c, err := Load(path, env(map[string]string{
		"PARTNER_ENCRYPTION_KEY":            testKey,
		"PARTNER_VERCEL_CLIENT_ID":          "oac_fromEnv",
		"PARTNER_VERCEL_CLIENT_SECRET_FILE": secret,
		"PARTNER_INTERNAL_API_TOKENS":       "tok-one-aaaaaaaaaaaa, tok-two-bbbbbbbbbbbb",
		"PARTNER_DELIVERIES_MAX_AGE":        "48h",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "0.0.0.0:9000" || c.Vercel.ClientID != "oac_fromEnv" || c.Vercel.ClientSecret != "secret-from-file" {
		t.Errorf("got %+v", c.Vercel)
	}
	if len(c.InternalAPI.Tokens) != 2 || c.InternalAPI.Tokens[1].Token != "tok-two-bbbbbbbbbbbb" {
		t.Errorf("tokens %q", c.InternalAPI.Tokens)
	}
	if c.Vercel.JWKSURL != "https://issuer.example/.well-known/jwks" || c.Database.Driver != "sqlite" || c.Database.DSN != "data/partner.db" {
		t.Errorf("defaults: %+v %+v", c.Vercel, c.Database)
	}
	if c.Deliveries.MaxAge != 48*time.Hour || c.Sessions.IdleTimeout != 2*time.Hour {
		t.Errorf("durations: %+v %+v", c.Deliveries, c.Sessions)
	}
}

func TestInvalidValuesAreNamed(t *testing.T) {
	t.Parallel()
	_, err := Load("", env(map[string]string{
		"PARTNER_ENCRYPTION_KEY":       "c2hvcnQ=",
		"PARTNER_VERCEL_CLIENT_ID":     "oac_x",
		"PARTNER_VERCEL_CLIENT_SECRET": "s",
		"PARTNER_DATABASE_DRIVER":      "mysql",
		"PARTNER_VERCEL_API_URL":       "ftp://nope",
		"PARTNER_DELIVERIES_WORKERS":   "many",
	}))
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{"deliveries.workers", "encryption_key", "database.driver", "vercel.api_url"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s: %v", want, err)
		}
	}
	_, err = Load("", env(map[string]string{
		"PARTNER_ENCRYPTION_KEY":       "c2hvcnQ=",
		"PARTNER_VERCEL_CLIENT_ID":     "oac_x",
		"PARTNER_VERCEL_CLIENT_SECRET": "s",
		"PARTNER_DATABASE_DRIVER":      "mysql",
		"PARTNER_VERCEL_API_URL":       "ftp://nope",
	}))
	for _, want := range []string{"encryption_key", "database.driver", "vercel.api_url"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s: %v", want, err)
		}
	}
}

func TestUnknownFileKeyIsRefused(t *testing.T) {
	t.Parallel()
	path := writeFile(t, "c.yaml", "listen: 127.0.0.1:1\nlisten_adress: typo\n")
	if _, err := Load(path, env(nil)); err == nil || !strings.Contains(err.Error(), "listen_adress") {
		t.Errorf("want the typo named, got %v", err)
	}
}

func TestExampleConfigDocumentsEveryKey(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range Keys() {
		leaf := key[strings.LastIndex(key, ".")+1:]
		if !strings.Contains(string(data), leaf+":") {
			t.Errorf("config.example.yaml does not document %s", key)
		}
	}
	c, err := Load("../../config.example.yaml", env(map[string]string{
		"PARTNER_ENCRYPTION_KEY": testKey, "PARTNER_VERCEL_CLIENT_SECRET": "x",
	}))
	if err != nil {
		t.Fatalf("example does not load: %v", err)
	}
	if len(c.Products) == 0 {
		t.Error("example has no products")
	}
}

func TestBadCatalogIsRefusedWithItsLines(t *testing.T) {
	t.Parallel()
	products := `[{"id":"redis","name":"Redis","plans":[
	  {"id":"pro","type":"subscription","name":"Pro","description":"d","price":"20",
	   "meters":[{"name":"a","units":"GB","type":"total","price":"1"},{"name":"b","units":"GB","type":"total","price":"1"},
	             {"name":"c","units":"GB","type":"sum","price":"1"}]},
	  {"id":"pro","type":"monthly","name":"Again","description":"d"}]}]`
	_, err := Load("", env(map[string]string{
		"PARTNER_ENCRYPTION_KEY": testKey, "PARTNER_VERCEL_CLIENT_ID": "oac_x", "PARTNER_VERCEL_CLIENT_SECRET": "s",
		"PARTNER_PRODUCTS": products,
	}))
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{
		"products[0] (redis).plans[0] (pro).meters[2].type: must be total, interval or rate",
		"products[0] (redis).plans[1] (pro).id: duplicate plan id (also products[0].plans[0])",
		"products[0] (redis).plans[1] (pro).type: must be subscription or prepayment",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

func TestUnknownCatalogKeyIsRefused(t *testing.T) {
	t.Parallel()
	path := writeFile(t, "c.yaml", `
products:
  - id: redis
    name: Redis
    metadata_schema:
      type: object
      properties:
        region: {type: string, ui:contol: select}
`)
	if _, err := Load(path, env(nil)); err == nil || !strings.Contains(err.Error(), "ui:contol") {
		t.Errorf("want the typo named, got %v", err)
	}
}

func TestBillingKeys(t *testing.T) {
	t.Parallel()
	base := map[string]string{"PARTNER_ENCRYPTION_KEY": testKey, "PARTNER_VERCEL_CLIENT_ID": "oac_x", "PARTNER_VERCEL_CLIENT_SECRET": "s"}
	c, err := Load("", env(base))
	if err != nil {
		t.Fatal(err)
	}
	if c.Billing.SubmitInterval != time.Hour || c.Billing.AllowClockOverride || c.Deliveries.AttemptTimeout != 30*time.Second ||
		c.Billing.LateUsageGrace != time.Hour {
		t.Errorf("defaults: %+v %+v", c.Billing, c.Deliveries)
	}
	base["PARTNER_BILLING_SUBMIT_INTERVAL"] = "25h"
	base["PARTNER_DELIVERIES_ATTEMPT_TIMEOUT"] = "10ms"
	base["PARTNER_BILLING_LATE_USAGE_GRACE"] = "24h"
	_, err = Load("", env(base))
	for _, want := range []string{"billing.submit_interval", "deliveries.attempt_timeout", "billing.late_usage_grace"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s: %v", want, err)
		}
	}
	base["PARTNER_BILLING_SUBMIT_INTERVAL"] = "5m"
	base["PARTNER_DELIVERIES_ATTEMPT_TIMEOUT"] = "2s"
	base["PARTNER_BILLING_ALLOW_CLOCK_OVERRIDE"] = "true"
	base["PARTNER_BILLING_LATE_USAGE_GRACE"] = "90m"
	if c, err = Load("", env(base)); err != nil || c.Billing.SubmitInterval != 5*time.Minute || !c.Billing.AllowClockOverride ||
		c.Billing.LateUsageGrace != 90*time.Minute {
		t.Errorf("env: %+v, %v", c, err)
	}
}

func TestDeploymentKeys(t *testing.T) {
	t.Parallel()
	base := map[string]string{"PARTNER_ENCRYPTION_KEY": testKey, "PARTNER_VERCEL_CLIENT_ID": "oac_x", "PARTNER_VERCEL_CLIENT_SECRET": "s"}
	c, err := Load("", env(base))
	if err != nil || c.Deployments.ActionTimeout != 10*time.Minute {
		t.Fatalf("default action_timeout: %v %v", c, err)
	}
	for _, bad := range []string{"500ms", "25h", "soon"} {
		base["PARTNER_DEPLOYMENTS_ACTION_TIMEOUT"] = bad
		if _, err := Load("", env(base)); err == nil || !strings.Contains(err.Error(), "deployments.action_timeout") {
			t.Errorf("%s: error does not name deployments.action_timeout: %v", bad, err)
		}
	}
	base["PARTNER_DEPLOYMENTS_ACTION_TIMEOUT"] = "90s"
	if c, err := Load("", env(base)); err != nil || c.Deployments.ActionTimeout != 90*time.Second {
		t.Errorf("env: %v %v", c, err)
	}
}
