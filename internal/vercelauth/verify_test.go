package vercelauth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

func TestVerifyFillsClaims(t *testing.T) {
	t.Parallel()
	k := testKeys()[0]
	e := newEnv(t, k)
	c := e.claims()
	got, err := e.v.Verify(t.Context(), signRS(t, k, with(c, "user_email", "ada@example.com")))
	if err != nil {
		t.Fatal(err)
	}
	want := Claims{
		Issuer: testIssuer, Subject: "account:abc:user:def", Type: TypeAccessToken,
		AccountID: "abc", InstallationID: "icfg_1", UserID: "def", UserRole: RoleAdmin,
		UserEmail: "ada@example.com", Expiry: time.Unix(c["exp"].(int64), 0),
	}
	if !got.Expiry.Equal(want.Expiry) {
		t.Errorf("Expiry = %v, want %v", got.Expiry, want.Expiry)
	}
	got.Expiry = want.Expiry
	if *got != want {
		t.Errorf("claims = %+v\nwant %+v", *got, want)
	}
	if !got.IsAdmin() {
		t.Error("ADMIN user token: IsAdmin false")
	}
}

func TestClaimRules(t *testing.T) {
	t.Parallel()
	k := testKeys()[0]
	e := newEnv(t, k)
	now := e.clk.Now()
	cases := []struct {
		name string
		kv   []any
		want error
	}{
		{"valid", nil, nil},
		{"aud array with client id", []any{"aud", []string{"other", testClientID}}, nil},
		{"aud array without client id", []any{"aud", []string{"other", "more"}}, errAudience},
		{"wrong aud", []any{"aud", "oac_other"}, errAudience},
		{"no aud", []any{"aud", nil}, errAudience},
		{"wrong iss", []any{"iss", "https://evil.example"}, errIssuer},
		{"no iss", []any{"iss", nil}, errIssuer},
		{"string exp", []any{"exp", "2100-01-01T00:00:00Z"}, errClaims},
		{"numeric string exp", []any{"exp", "4102444800"}, errClaims},
		{"bool exp", []any{"exp", true}, errClaims},
		{"no exp", []any{"exp", nil}, errClaims},
		{"null exp", []any{"exp", json.RawMessage("null")}, errClaims},
		{"string nbf", []any{"nbf", "0"}, errClaims},
		{"string iat", []any{"iat", "0"}, errClaims},
		{"fractional exp", []any{"exp", float64(now.Unix()) + 60.5}, nil},
		{"expired within leeway", []any{"exp", now.Add(-5 * time.Second).Unix()}, nil},
		{"expired beyond leeway", []any{"exp", now.Add(-11 * time.Second).Unix()}, errExpired},
		{"expired a minute ago", []any{"exp", now.Add(-time.Minute).Unix()}, errExpired},
		{"nbf 5 minutes ahead", []any{"nbf", now.Add(5 * time.Minute).Unix()}, errNotYetValid},
		{"nbf 11 s ahead", []any{"nbf", now.Add(11 * time.Second).Unix()}, errNotYetValid},
		{"nbf 5 s ahead", []any{"nbf", now.Add(5 * time.Second).Unix()}, nil},
		{"nbf in the past", []any{"nbf", now.Add(-time.Hour).Unix()}, nil},
		{"iat a day ahead", []any{"iat", now.Add(24 * time.Hour).Unix()}, errIssuedLater},
		{"iat 5 s ahead", []any{"iat", now.Add(5 * time.Second).Unix()}, nil},
		{"no iat", []any{"iat", nil}, nil},
		{"type id_token", []any{"type", TypeIDToken}, nil},
		{"installation_id null", []any{"installation_id", json.RawMessage("null")}, nil},
		{"role not a string", []any{"user_role", 7}, errClaims},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok := signRS(t, k, with(e.claims(), tc.kv...))
			_, err := e.v.Verify(t.Context(), tok)
			if err != tc.want {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
			if err != nil {
				checkRefusal(t, err, tok)
			}
		})
	}
}

// checkRefusal checks that a refusal wraps ErrInvalidToken and does not
// repeat any part of the token.
func checkRefusal(t *testing.T, err error, tok string) {
	t.Helper()
	if !errors.Is(err, ErrInvalidToken) {
		t.Errorf("%v does not wrap ErrInvalidToken", err)
	}
	for _, part := range strings.Split(tok, ".") {
		if len(part) > 8 && strings.Contains(err.Error(), part) {
			t.Errorf("error %q repeats the token", err)
		}
	}
}

func TestRefusesUnverifiedTokens(t *testing.T) {
	t.Parallel()
	keys := testKeys()
	k, other := keys[0], keys[1]
	e := newEnv(t, k)
	c := e.claims()
	good := signRS(t, k, c)
	mustVerify(t, e.v, good) // the cases then also run against a remembered header
	sig, err := base64.RawURLEncoding.DecodeString(good[strings.LastIndexByte(good, '.')+1:])
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		tok  string
		want error
	}{
		{"alg none", resign(reheader(good, `{"alg":"none","kid":"key-a"}`), nil), errAlgorithm},
		{"alg none with signature", reheader(good, `{"alg":"none","kid":"key-a"}`), errAlgorithm},
		{"no alg", reheader(good, `{"kid":"key-a"}`), errAlgorithm},
		{"HS256 with the known kid", sign(t, jose.HS256, []byte("a-shared-secret-of-32-bytes-long"), k.kid, c), errAlgorithm},
		{"HS256 keyed with the public modulus", sign(t, jose.HS256, k.priv.N.Bytes(), k.kid, c), errAlgorithm},
		{"RS384", sign(t, jose.RS384, k.priv, k.kid, c), errAlgorithm},
		{"PS256", sign(t, jose.PS256, k.priv, k.kid, c), errAlgorithm},
		{"critical header", sign(t, jose.RS256, k.priv, k.kid, c, "crit", []string{"exp"}), errAlgorithm},
		{"signed by another key under the known kid", sign(t, jose.RS256, other.priv, k.kid, c), errSignature},
		{"header swapped after signing", reheader(good, `{"alg":"RS256","kid":"key-a","typ":"x"}`), errSignature},
		{"payload swapped after signing", swapPayload(good, signRS(t, k, with(e.claims(), "user_role", RoleUser))), nil},
		{"truncated signature", resign(good, sig[:len(sig)-1]), errSignature},
		{"empty signature", resign(good, nil), errSignature},
		{"signature not base64url", good[:len(good)-1] + "+", errMalformed},
		{"padded segment", good + "==", errMalformed},
		{"garbage", "not.a.jwt", errMalformed},
		{"two segments", good[:strings.LastIndexByte(good, '.')], errMalformed},
		{"four segments", good + ".x", errMalformed},
		{"empty", "", errMalformed},
		{"header not JSON", reheader(good, "RS256"), errMalformed},
		{"oversized", good + strings.Repeat("A", maxTokenBytes), errMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.want == nil {
				tc.want = errSignature
			}
			_, err := e.v.Verify(t.Context(), tc.tok)
			if err != tc.want {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
			checkRefusal(t, err, tc.tok)
		})
	}
}

// swapPayload puts the payload of b under the header and signature of a.
func swapPayload(a, b string) string {
	ap, bp := strings.Split(a, "."), strings.Split(b, ".")
	return ap[0] + "." + bp[1] + "." + ap[2]
}

func TestBearerToken(t *testing.T) {
	t.Parallel()
	cases := []struct {
		header string
		want   string
		ok     bool
	}{
		{"Bearer abc", "abc", true},
		{"bearer  abc ", "abc", true},
		{"Basic abc", "", false},
		{"Bearer", "", false},
		{"Bearer  ", "", false},
		{"", "", false},
	}
	for _, tc := range cases {
		h := http.Header{}
		if tc.header != "" {
			h.Set("Authorization", tc.header)
		}
		if got, ok := BearerToken(h); got != tc.want || ok != tc.ok {
			t.Errorf("BearerToken(%q) = %q, %v; want %q, %v", tc.header, got, ok, tc.want, tc.ok)
		}
	}
}
