package partnerapi_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/vercel-partner/partner-server/internal/app/apptest"
	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

const testInstallation = "icfg_9bceb8ccT32d3U417ezb5c8p"

// partnerEnv is the whole server in front of a file-backed SQLite
// database, trusting a simulator's issuer.
type partnerEnv struct {
	*apptest.Env
	logs   *apptest.LogSink
	sim    *vercelsim.Sim
	srv    *httptest.Server
	store  *db.Installations
	dbPath string
}

var freePlan = false

var testCatalog = installations.Catalog{{ID: "postgres", Name: "Postgres", Plans: []installations.BillingPlan{
	{ID: "free", Type: "subscription", Name: "Free", Description: "Hobby", PaymentMethodRequired: &freePlan},
	{ID: "pro200", Type: "subscription", Name: "Pro", Description: "Pro plan", Cost: "$20.00/month"},
}}}

func newPartnerEnv(t testing.TB) *partnerEnv {
	t.Helper()
	path := filepath.Join(t.TempDir(), "partner.db")
	env := apptest.New(t, apptest.Options{Catalog: testCatalog, Driver: "sqlite", DSN: path, NoWorker: true})
	e := &partnerEnv{Env: env, sim: env.Sim, dbPath: path}
	e.bind()
	return e
}

func (e *partnerEnv) bind() {
	e.logs, e.srv, e.store = e.Logs, e.Srv, e.App.Installations
}

// open restarts the server on the same database.
func (e *partnerEnv) open(t testing.TB) {
	e.Start(t)
	e.bind()
}

func (e *partnerEnv) close() { e.Stop() }

func (e *partnerEnv) do(t testing.TB, method, path, token, body string, hdr ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func upsertBody(accessToken string) string {
	return `{"scopes":["read-write:integration-resource"],"acceptedPolicies":{"toc":"2024-02-28T10:00:00Z"},
	"credentials":{"access_token":"` + accessToken + `","token_type":"Bearer"},
	"account":{"name":"Acme","url":"https://vercel.com/acme","contact":{"email":"ada@acme.dev","name":"Ada"}}}`
}

// claims are a valid ADMIN user token's claims, to be varied per case.
func (e *partnerEnv) claims(role string) map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": e.sim.Issuer(), "aud": e.sim.ClientID(), "sub": "account:abc123:user:def456",
		"account_id": "abc123", "installation_id": testInstallation, "user_id": "def456",
		"user_role": role, "type": "access_token", "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
	}
}

func with(c map[string]any, k string, v any) map[string]any {
	c[k] = v
	return c
}

func signWith(t testing.TB, alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := jws.CompactSerialize()
	return out
}

func unsigned(claims map[string]any) string {
	enc := base64.RawURLEncoding
	payload, _ := json.Marshal(claims)
	return enc.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc.EncodeToString(payload) + "."
}

func TestUpsertStoresEncryptedInstallation(t *testing.T) {
	t.Parallel()
	e := newPartnerEnv(t)
	status, body := e.do(t, "PUT", "/v1/installations/"+testInstallation, e.sim.Sign(e.claims("ADMIN")), upsertBody("vercel_tok_SECRET_1"))
	if status != 200 {
		t.Fatalf("status %d: %s", status, body)
	}
	in, err := e.store.Get(t.Context(), testInstallation)
	if err != nil {
		t.Fatal(err)
	}
	if in.Account.ContactEmail != "ada@acme.dev" || in.Scopes[0] != "read-write:integration-resource" || in.AcceptedPolicies["toc"] == "" {
		t.Errorf("stored %+v", in)
	}
	tok, err := e.store.Token(t.Context(), testInstallation)
	if err != nil || tok != "vercel_tok_SECRET_1" {
		t.Errorf("token %q, %v", tok, err)
	}
	if strings.Contains(body, "SECRET") {
		t.Errorf("answer leaks the token: %s", body)
	}
}

func TestRefusedRequestsChangeNothing(t *testing.T) {
	t.Parallel()
	e := newPartnerEnv(t)
	if s, b := e.do(t, "PUT", "/v1/installations/"+testInstallation, e.sim.Sign(e.claims("ADMIN")), upsertBody("tok_original")); s != 200 {
		t.Fatalf("setup: %d %s", s, b)
	}
	before, _ := e.store.Get(t.Context(), testInstallation)
	otherKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	_, kid := e.sim.SigningKey()
	cases := []struct {
		name   string
		token  string
		path   string
		status int
	}{
		{"no token", "", testInstallation, 401},
		{"wrong aud", e.sim.Sign(with(e.claims("ADMIN"), "aud", "oac_someoneElse")), testInstallation, 401},
		{"wrong iss", e.sim.Sign(with(e.claims("ADMIN"), "iss", "https://evil.example")), testInstallation, 401},
		{"expired", e.sim.Sign(with(e.claims("ADMIN"), "exp", time.Now().Add(-time.Minute).Unix())), testInstallation, 401},
		{"signed by another key", signWith(t, jose.RS256, otherKey, kid, e.claims("ADMIN")), testInstallation, 401},
		{"alg none", unsigned(e.claims("ADMIN")), testInstallation, 401},
		{"HS256", signWith(t, jose.HS256, []byte("a-shared-secret-of-32-bytes-long"), kid, e.claims("ADMIN")), testInstallation, 401},
		{"garbage", "not.a.jwt", testInstallation, 401},
		{"type id_token", e.sim.Sign(with(e.claims("ADMIN"), "type", "id_token")), testInstallation, 403},
		{"other installation", e.sim.Sign(with(e.claims("ADMIN"), "installation_id", "icfg_other000000000000000000")), testInstallation, 403},
		{"USER role writing", e.sim.Sign(e.claims("USER")), testInstallation, 403},
		{"system token writing", e.sim.SystemToken(testInstallation), testInstallation, 403},
	}
	for _, c := range cases {
		status, body := e.do(t, "PUT", "/v1/installations/"+c.path, c.token, upsertBody("tok_attacker"))
		if status != c.status {
			t.Errorf("%s: status %d, want %d (%s)", c.name, status, c.status, body)
		}
		var env struct {
			Error struct{ Code, Message string }
		}
		if json.Unmarshal([]byte(body), &env) != nil || env.Error.Code == "" {
			t.Errorf("%s: no error envelope: %s", c.name, body)
		}
	}
	after, _ := e.store.Get(t.Context(), testInstallation)
	tok, _ := e.store.Token(t.Context(), testInstallation)
	if tok != "tok_original" || !after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Errorf("a refused request changed the installation: token %q", tok)
	}
}

func TestBadBodiesAre400(t *testing.T) {
	t.Parallel()
	e := newPartnerEnv(t)
	tok := e.sim.Sign(e.claims("ADMIN"))
	cases := []struct{ name, body, field string }{
		{"malformed JSON", `{"scopes": [`, "body"},
		{"missing credentials", `{"scopes":[],"acceptedPolicies":{},"account":{"url":"https://x","contact":{"email":"a@b.c"}}}`, "credentials"},
		{"empty access token", strings.Replace(upsertBody("x"), `"access_token":"x"`, `"access_token":""`, 1), "credentials.access_token"},
		{"scopes not an array", `{"scopes":"all"}`, "scopes"},
		{"bad policy date", strings.Replace(upsertBody("x"), "2024-02-28T10:00:00Z", "yesterday", 1), "acceptedPolicies.toc"},
		// A stored token goes out on every call to Vercel: a 100 KB one would
		// break them all (a proxy answers 431).
		{"100 KB access token", upsertBody(strings.Repeat("t", 100<<10)), "credentials.access_token"},
		{"4097-byte access token", upsertBody(strings.Repeat("t", installations.MaxAccessToken+1)), "credentials.access_token"},
		{"long token type", strings.Replace(upsertBody("x"), `"Bearer"`, `"`+strings.Repeat("B", 65)+`"`, 1), "credentials.token_type"},
		{"long account name", strings.Replace(upsertBody("x"), `"Acme"`, `"`+strings.Repeat("A", 257)+`"`, 1), "account.name"},
		{"long contact email", strings.Replace(upsertBody("x"), `"ada@acme.dev"`, `"`+strings.Repeat("a", 321)+`"`, 1), "account.contact.email"},
		{"long scope", strings.Replace(upsertBody("x"), `"read-write:integration-resource"`, `"`+strings.Repeat("s", 129)+`"`, 1), "scopes[0]"},
	}
	for _, c := range cases {
		status, body := e.do(t, "PUT", "/v1/installations/"+testInstallation, tok, c.body)
		if status != 400 {
			t.Errorf("%s: status %d: %s", c.name, status, body)
			continue
		}
		var env struct {
			Error struct {
				Code   string
				Fields []struct{ Key string }
			}
		}
		json.Unmarshal([]byte(body), &env)
		found := false
		for _, f := range env.Error.Fields {
			found = found || f.Key == c.field
		}
		if !found {
			t.Errorf("%s: fields do not name %q: %s", c.name, c.field, body)
		}
	}
	if _, err := e.store.Get(t.Context(), testInstallation); err == nil {
		t.Error("a bad body created the installation")
	}
	if status, body := e.do(t, "PUT", "/v1/installations/"+testInstallation, tok, upsertBody(strings.Repeat("t", installations.MaxAccessToken))); status != 200 {
		t.Errorf("4096-byte access token: %d %s", status, body)
	}
}

func TestUnknownInstallationIs404(t *testing.T) {
	t.Parallel()
	e := newPartnerEnv(t)
	for _, m := range []string{"GET", "PATCH", "DELETE"} {
		status, body := e.do(t, m, "/v1/installations/"+testInstallation, e.sim.Sign(e.claims("ADMIN")), "")
		if status != 404 || !strings.Contains(body, `"not_found"`) {
			t.Errorf("%s: %d %s", m, status, body)
		}
	}
}

func TestUnknownKidRefetchesKeysOnce(t *testing.T) {
	t.Parallel()
	e := newPartnerEnv(t)
	path := "/v1/installations/" + testInstallation
	if s, b := e.do(t, "PUT", path, e.sim.Sign(e.claims("ADMIN")), upsertBody("t1")); s != 200 {
		t.Fatalf("%d %s", s, b)
	}
	fetches := e.sim.JWKSFetches()
	if s, _ := e.do(t, "GET", path, e.sim.Sign(e.claims("ADMIN")), ""); s != 200 || e.sim.JWKSFetches() != fetches {
		t.Fatalf("known kid: status %d, fetches %d -> %d", s, fetches, e.sim.JWKSFetches())
	}
	e.sim.RotateKey()
	if s, b := e.do(t, "GET", path, e.sim.Sign(e.claims("ADMIN")), ""); s != 200 {
		t.Fatalf("new kid: %d %s", s, b)
	}
	if got := e.sim.JWKSFetches() - fetches; got != 1 {
		t.Errorf("JWKS fetched %d times after an unknown kid, want 1", got)
	}
}

func TestRepeatUpsertReplacesTokenKeepsPlan(t *testing.T) {
	t.Parallel()
	e := newPartnerEnv(t)
	path := "/v1/installations/" + testInstallation
	admin := e.sim.Sign(e.claims("ADMIN"))
	e.do(t, "PUT", path, admin, upsertBody("tok_one"))
	if s, b := e.do(t, "PATCH", path, admin, `{"billingPlanId":"pro200"}`); s != 200 || !strings.Contains(b, `"id":"pro200"`) {
		t.Fatalf("patch: %d %s", s, b)
	}
	if s, b := e.do(t, "PATCH", path, admin, `{"billingPlanId":"nope"}`); s != 400 || !strings.Contains(b, "billingPlanId") {
		t.Errorf("unknown plan: %d %s", s, b)
	}
	s, b := e.do(t, "PUT", path, admin, upsertBody("tok_two"))
	if s != 200 || !strings.Contains(b, `"id":"pro200"`) {
		t.Errorf("re-upsert lost the plan: %d %s", s, b)
	}
	if tok, _ := e.store.Token(t.Context(), testInstallation); tok != "tok_two" {
		t.Errorf("token %q, want tok_two", tok)
	}
}

func TestIdempotencyKeyReplaysFirstResponse(t *testing.T) {
	t.Parallel()
	e := newPartnerEnv(t)
	path := "/v1/installations/" + testInstallation
	admin := e.sim.Sign(e.claims("ADMIN"))
	s1, b1 := e.do(t, "PUT", path, admin, upsertBody("tok_first"), "Idempotency-Key", "key-1")
	s2, b2 := e.do(t, "PUT", path, admin, upsertBody("tok_first"), "Idempotency-Key", "key-1")
	if s1 != 200 || s2 != s1 || b1 != b2 {
		t.Errorf("replay: %d %q vs %d %q", s1, b1, s2, b2)
	}
	if s, b := e.do(t, "PUT", path, admin, upsertBody("tok_second"), "Idempotency-Key", "key-1"); s != 409 || !strings.Contains(b, "idempotency_key_reused") {
		t.Errorf("same key, other body: %d %s, want 409", s, b)
	}
	// Another method under the same key is another request: refused, not
	// answered with the PUT's {} (which would drop the uninstall).
	if s, b := e.do(t, "DELETE", path, admin, "", "Idempotency-Key", "key-1"); s != 409 {
		t.Errorf("DELETE under a PUT's key: %d %s, want 409", s, b)
	}
	if tok, _ := e.store.Token(t.Context(), testInstallation); tok != "tok_first" {
		t.Errorf("a replayed key changed the token to %q", tok)
	}
	if in, _ := e.store.Get(t.Context(), testInstallation); in.Status != installations.StatusActive {
		t.Errorf("the refused DELETE uninstalled: %s", in.Status)
	}
}

func TestDeleteFinalizesOnlyWhenNothingBillable(t *testing.T) {
	t.Parallel()
	e := newPartnerEnv(t)
	path := "/v1/installations/" + testInstallation
	admin := e.sim.Sign(e.claims("ADMIN"))
	e.do(t, "PUT", path, admin, upsertBody("tok"))
	e.do(t, "PATCH", path, admin, `{"billingPlanId":"pro200"}`)
	if s, b := e.do(t, "DELETE", path, e.sim.SystemToken(testInstallation), `{"cascadeResourceDeletion":true}`); s != 200 || b != "{\"finalized\":false}\n" {
		t.Fatalf("paid plan: %d %q", s, b)
	}
	in, _ := e.store.Get(t.Context(), testInstallation)
	if in.Status != installations.StatusPendingFinalization || in.DeletedAt == nil {
		t.Errorf("not marked deleted: %+v", in)
	}
	if tok, err := e.store.Token(t.Context(), testInstallation); tok != "tok" {
		t.Errorf("token wiped while still billable: %q %v", tok, err)
	}
	e.do(t, "PUT", path, admin, upsertBody("tok"))
	e.do(t, "PATCH", path, admin, `{"billingPlanId":"free"}`)
	if s, b := e.do(t, "DELETE", path, admin, ""); s != 200 || b != "{\"finalized\":true}\n" {
		t.Fatalf("free plan: %d %q", s, b)
	}
	if _, err := e.store.Token(t.Context(), testInstallation); err == nil {
		t.Error("token kept after a finalized delete")
	}
}

func TestDatabaseFilesHoldNoPlaintextToken(t *testing.T) {
	t.Parallel()
	e := newPartnerEnv(t)
	const token = "vercel_live_token_Zq8Xw3PlainTextMarker"
	if s, b := e.do(t, "PUT", "/v1/installations/"+testInstallation, e.sim.Sign(e.claims("ADMIN")), upsertBody(token)); s != 200 {
		t.Fatalf("%d %s", s, b)
	}
	files, _ := filepath.Glob(e.dbPath + "*")
	if len(files) < 2 {
		t.Fatalf("expected main file and WAL, got %v", files)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte(token)) || bytes.Contains(data, []byte("PlainTextMarker")) {
			t.Errorf("%s holds the plaintext token", filepath.Base(f))
		}
	}
	if tok, _ := e.store.Token(t.Context(), testInstallation); tok != token {
		t.Error("token does not decrypt")
	}
}

func TestInstallationsSurviveRestart(t *testing.T) {
	t.Parallel()
	e := newPartnerEnv(t)
	path := "/v1/installations/" + testInstallation
	e.do(t, "PUT", path, e.sim.Sign(e.claims("ADMIN")), upsertBody("tok_kept"))
	e.close()
	e.open(t)
	if s, b := e.do(t, "GET", path, e.sim.SystemToken(testInstallation), ""); s != 200 {
		t.Fatalf("after restart: %d %s", s, b)
	}
	if tok, _ := e.store.Token(t.Context(), testInstallation); tok != "tok_kept" {
		t.Errorf("token after restart: %q", tok)
	}
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	e := newPartnerEnv(t)
	big := `{"scopes":["` + strings.Repeat("a", 2<<20) + `"]}`
	status, body := e.do(t, "PUT", "/v1/installations/"+testInstallation, e.sim.Sign(e.claims("ADMIN")), big)
	if status != 413 || !strings.Contains(body, "body_too_large") {
		t.Errorf("%d %.200s", status, body)
	}
}

func TestLogsNeverHoldTokens(t *testing.T) {
	t.Parallel()
	e := newPartnerEnv(t)
	const access = "vercel_tok_LogMarker77"
	bearer := e.sim.Sign(e.claims("ADMIN"))
	e.do(t, "PUT", "/v1/installations/"+testInstallation, bearer, upsertBody(access))
	e.do(t, "PUT", "/v1/installations/"+testInstallation, bearer+"x", upsertBody(access))
	e.do(t, "PUT", "/v1/installations/"+testInstallation, e.sim.Sign(e.claims("USER")), upsertBody(access))
	logs := e.logs.String()
	if !strings.Contains(logs, `"route":"/v1/installations/{installationId}"`) || !strings.Contains(logs, `"status":401`) {
		t.Fatalf("expected request logs, got %s", logs)
	}
	sig := bearer[strings.LastIndex(bearer, ".")+1:]
	for _, secret := range []string{access, sig, bearer[:40]} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs hold a token: %s", logs)
		}
	}
}
