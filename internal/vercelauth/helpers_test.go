package vercelauth

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

const (
	testIssuer   = "https://issuer.test"
	testClientID = "oac_test"
	testInterval = 10 * time.Second
)

// testKey is one RSA signing key and its kid.
type testKey struct {
	priv *rsa.PrivateKey
	kid  string
}

// testKeys are generated once: RSA key generation dominates test time.
var testKeys = sync.OnceValue(func() []testKey {
	keys := make([]testKey, 3)
	for i := range keys {
		priv, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		keys[i] = testKey{priv: priv, kid: "key-" + string(rune('a'+i))}
	}
	return keys
})

// jwksServer serves a JWKS the test can change, counting fetches.
type jwksServer struct {
	*httptest.Server
	fetches atomic.Int64

	mu     sync.Mutex
	body   []byte
	status int
	gate   chan struct{} // when set, requests wait for it to close
}

func newJWKSServer(t testing.TB, keys ...testKey) *jwksServer {
	t.Helper()
	s := &jwksServer{}
	s.serve(keys...)
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) handle(w http.ResponseWriter, r *http.Request) {
	s.fetches.Add(1)
	s.mu.Lock()
	gate, status, body := s.gate, s.status, s.body
	s.mu.Unlock()
	if gate != nil {
		<-gate
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

// serve makes the server publish the public halves of keys.
func (s *jwksServer) serve(keys ...testKey) {
	set := jose.JSONWebKeySet{}
	for _, k := range keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.priv.PublicKey, KeyID: k.kid, Algorithm: "RS256", Use: "sig"})
	}
	body, err := json.Marshal(set)
	if err != nil {
		panic(err)
	}
	s.serveRaw(http.StatusOK, body)
}

func (s *jwksServer) serveRaw(status int, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body = status, body
}

// hold makes requests wait until the returned func is called.
func (s *jwksServer) hold() (release func()) {
	gate := make(chan struct{})
	s.mu.Lock()
	s.gate = gate
	s.mu.Unlock()
	return sync.OnceFunc(func() {
		s.mu.Lock()
		s.gate = nil
		s.mu.Unlock()
		close(gate)
	})
}

// clock is a settable time source for the verifier and the minted tokens.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a verifier over a test JWKS server with an injected clock.
type env struct {
	srv *jwksServer
	clk *clock
	v   *Verifier
}

func newEnv(t testing.TB, keys ...testKey) *env {
	t.Helper()
	e := &env{srv: newJWKSServer(t, keys...), clk: &clock{t: time.Unix(1_800_000_000, 0)}}
	e.v = NewVerifierWithOptions(t.Context(), testIssuer, e.srv.URL, testClientID, e.srv.Client(),
		Options{RefreshInterval: testInterval, Now: e.clk.Now})
	return e
}

func (e *env) fetches() int64 { return e.srv.fetches.Load() }

// claims are a valid user token's claims at the env's current time.
func (e *env) claims() map[string]any {
	now := e.clk.Now()
	return map[string]any{
		"iss":             testIssuer,
		"aud":             testClientID,
		"sub":             "account:abc:user:def",
		"type":            TypeAccessToken,
		"account_id":      "abc",
		"installation_id": "icfg_1",
		"user_id":         "def",
		"user_role":       RoleAdmin,
		"iat":             now.Unix(),
		"exp":             now.Add(5 * time.Minute).Unix(),
	}
}

func with(c map[string]any, kv ...any) map[string]any {
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(c, kv[i].(string))
			continue
		}
		c[kv[i].(string)] = kv[i+1]
	}
	return c
}

// sign mints a compact JWS over claims with go-jose.
func sign(t testing.TB, alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any, hdr ...any) string {
	t.Helper()
	opts := &jose.SignerOptions{}
	opts.WithType("JWT")
	for i := 0; i < len(hdr); i += 2 {
		opts.WithHeader(jose.HeaderKey(hdr[i].(string)), hdr[i+1])
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func signRS(t testing.TB, k testKey, claims map[string]any) string {
	return sign(t, jose.RS256, k.priv, k.kid, claims)
}

// reheader replaces the header of tok, keeping payload and signature.
func reheader(tok, header string) string {
	_, rest, _ := strings.Cut(tok, ".")
	return base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + rest
}

// resign replaces the signature of tok.
func resign(tok string, sig []byte) string {
	return tok[:strings.LastIndexByte(tok, '.')+1] + base64.RawURLEncoding.EncodeToString(sig)
}
