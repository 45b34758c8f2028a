// Package vercelauth verifies the OIDC tokens Vercel signs: partner-API
// bearer tokens and SSO id_tokens share issuer, keys and audience.
package vercelauth

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// Token kinds carried in the `type` claim.
const (
	TypeAccessToken = "access_token"
	TypeIDToken     = "id_token"
)

// Member roles.
const (
	RoleAdmin = "ADMIN"
	RoleUser  = "USER"
)

// Leeway is the clock skew tolerated on exp, nbf and iat.
const Leeway = 10 * time.Second

// Claims are the verified claims of a Vercel token (docs/vercel.md, "Tokens").
type Claims struct {
	Issuer         string    `json:"iss"`
	Subject        string    `json:"sub"`
	Type           string    `json:"type"`
	AccountID      string    `json:"account_id"`
	InstallationID string    `json:"installation_id"`
	UserID         string    `json:"user_id"`
	UserRole       string    `json:"user_role"`
	UserEmail      string    `json:"user_email"`
	UserName       string    `json:"user_name"`
	UserAvatarURL  string    `json:"user_avatar_url"`
	Expiry         time.Time `json:"-"`
}

// IsUser reports whether the token acts for a person (not a system token).
func (c *Claims) IsUser() bool {
	return c.UserID != "" || strings.Contains(c.Subject, ":user:")
}

// IsAdmin reports whether a user token carries the ADMIN role.
func (c *Claims) IsAdmin() bool { return c.IsUser() && c.UserRole == RoleAdmin }

// ErrInvalidToken is returned for any token that does not verify. Its text
// never includes the token.
var ErrInvalidToken = errors.New("invalid token")

// The causes a refused token is reported with; each wraps ErrInvalidToken.
var (
	errMalformed       = invalid("malformed")
	errAlgorithm       = invalid("unsupported algorithm")
	errSignature       = invalid("bad signature")
	errKeysUnavailable = invalid("signing keys unavailable")
	errClaims          = invalid("claims: malformed")
	errIssuer          = invalid("wrong issuer")
	errAudience        = invalid("wrong audience")
	errExpired         = invalid("expired")
	errNotYetValid     = invalid("not yet valid")
	errIssuedLater     = invalid("issued in the future")
)

func invalid(reason string) error { return fmt.Errorf("%w: %s", ErrInvalidToken, reason) }

// Options tunes a Verifier; the zero value gives the defaults.
type Options struct {
	// RefreshInterval is the least time between two JWKS refetches caused by
	// unknown kids or failed signatures (DefaultRefreshInterval if zero).
	RefreshInterval time.Duration
	// Now replaces time.Now, for tests.
	Now func() time.Time
}

// Verifier checks signature (RS256 only), iss, aud, exp, nbf and iat.
type Verifier struct {
	issuer   string
	clientID string
	now      func() time.Time
	keys     *keySet
	header   atomic.Pointer[knownHeader]
	tokens   *tokenCache

	rsaChecks atomic.Int64 // RSA signature checks made, for tests
}

// NewVerifier builds a verifier over Vercel's JWKS with default Options.
// ctx bounds the key fetches; client may be nil.
func NewVerifier(ctx context.Context, issuer, jwksURL, clientID string, client *http.Client) *Verifier {
	return NewVerifierWithOptions(ctx, issuer, jwksURL, clientID, client, Options{})
}

// NewVerifierWithOptions is NewVerifier with tuning. The JWKS is fetched on
// first use, cached, and refetched on an unknown kid or a failed signature
// at most once per RefreshInterval.
func NewVerifierWithOptions(ctx context.Context, issuer, jwksURL, clientID string, client *http.Client, o Options) *Verifier {
	if client == nil {
		client = &http.Client{Timeout: fetchTimeout}
	}
	if o.RefreshInterval <= 0 {
		o.RefreshInterval = DefaultRefreshInterval
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Verifier{
		issuer:   issuer,
		clientID: clientID,
		now:      o.Now,
		keys: &keySet{
			url: jwksURL, client: client, base: ctx,
			interval: o.RefreshInterval, now: o.Now,
		},
		tokens: newTokenCache(maxCachedTokens),
	}
}

// KeyFetches counts the JWKS fetches attempted so far.
func (v *Verifier) KeyFetches() int64 { return v.keys.fetches.Load() }

// RefusedRefreshes counts JWKS refetches refused because the last one was
// less than RefreshInterval ago.
func (v *Verifier) RefusedRefreshes() int64 { return v.keys.refused.Load() }

// Verify checks raw and returns its claims. Errors wrap ErrInvalidToken.
// A token that passed every check is cached under the SHA-256 of the whole
// token until its exp (plus Leeway) or until the key set changes; a refused
// token is never cached.
func (v *Verifier) Verify(ctx context.Context, raw string) (*Claims, error) {
	if len(raw) > maxTokenBytes {
		return nil, errMalformed
	}
	k := tokenKey(sha256.Sum256([]byte(raw)))
	if c, ok := v.tokens.get(k, v.keys.current(), v.now()); ok {
		return c, nil
	}
	c, keys, err := v.verify(ctx, raw)
	if err != nil {
		return nil, err
	}
	v.tokens.put(k, c, keys)
	return c, nil
}

// verify checks raw in full and returns its claims with the key set that
// verified its signature.
func (v *Verifier) verify(ctx context.Context, raw string) (*Claims, *keyCache, error) {
	var t token
	known := v.header.Load()
	if err := t.parse(raw, known); err != nil {
		return nil, nil, err
	}
	keys, err := v.verifySignature(ctx, &t)
	if err != nil {
		return nil, nil, err
	}
	if known == nil || known.segment != t.header {
		v.header.Store(&knownHeader{segment: strings.Clone(t.header), kid: t.kid})
	}
	p := new(payload)
	if json.Unmarshal(t.payload, p) != nil {
		return nil, nil, errClaims
	}
	if err := v.checkClaims(p); err != nil {
		return nil, nil, err
	}
	p.Expiry = time.Unix(p.ExpiresAt.unix, 0)
	return &p.Claims, keys, nil
}

// verifySignature tries the cached keys, then keys refetched under the
// refresh guard, and returns the key set that verified the signature.
func (v *Verifier) verifySignature(ctx context.Context, t *token) (*keyCache, error) {
	cached := v.keys.current()
	if v.signedBy(t, cached.candidates(t.kid)) {
		return cached, nil
	}
	fresh, _ := v.keys.refresh(ctx, cached, t.kid)
	switch {
	case fresh == nil:
		return nil, errKeysUnavailable
	case fresh != cached && v.signedBy(t, fresh.candidates(t.kid)):
		return fresh, nil
	default:
		return nil, errSignature
	}
}

// signedBy reports whether any of keys made the signature of t.
func (v *Verifier) signedBy(t *token, keys []*rsa.PublicKey) bool {
	for _, k := range keys {
		v.rsaChecks.Add(1)
		if rsa.VerifyPKCS1v15(k, crypto.SHA256, t.digest[:], t.sig) == nil {
			return true
		}
	}
	return false
}

func (v *Verifier) checkClaims(p *payload) error {
	now := v.now()
	switch {
	case p.Issuer == "" || p.Issuer != v.issuer:
		return errIssuer
	case !p.Audience.contains(v.clientID):
		return errAudience
	case !p.ExpiresAt.set:
		return errClaims
	case now.After(time.Unix(p.ExpiresAt.unix, 0).Add(Leeway)):
		return errExpired
	case p.NotBefore.set && time.Unix(p.NotBefore.unix, 0).After(now.Add(Leeway)):
		return errNotYetValid
	case p.IssuedAt.set && time.Unix(p.IssuedAt.unix, 0).After(now.Add(Leeway)):
		return errIssuedLater
	}
	return nil
}

// BearerToken extracts the token of an `Authorization: Bearer` header.
func BearerToken(h http.Header) (string, bool) {
	auth := h.Get("Authorization")
	scheme, tok, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}
