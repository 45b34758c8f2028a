// Package vercelauth verifies the OIDC tokens Vercel signs: partner-API
// bearer tokens and SSO id_tokens share issuer, keys and audience.
package vercelauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
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

// Leeway is the clock skew tolerated on exp.
const Leeway = 10 * time.Second

// Claims are the verified claims of a Vercel token (vercel-api.md section 5).
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

// Verifier checks signature (RS256 only), iss, aud and exp.
type Verifier struct {
	v *oidc.IDTokenVerifier
}

// NewVerifier builds a verifier over a remote key set (cached, refetched on
// an unknown kid). ctx bounds the key set's background use; client may be nil.
func NewVerifier(ctx context.Context, issuer, jwksURL, clientID string, client *http.Client) *Verifier {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	ctx = oidc.ClientContext(ctx, client)
	keys := oidc.NewRemoteKeySet(ctx, jwksURL)
	return &Verifier{v: oidc.NewVerifier(issuer, keys, &oidc.Config{
		ClientID:             clientID,
		SupportedSigningAlgs: []string{oidc.RS256},
		Now:                  func() time.Time { return time.Now().Add(-Leeway) },
	})}
}

// Verify checks raw and returns its claims. Errors wrap ErrInvalidToken.
func (v *Verifier) Verify(ctx context.Context, raw string) (*Claims, error) {
	tok, err := v.v.Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalidToken, reason(err))
	}
	var c Claims
	if err := tok.Claims(&c); err != nil {
		return nil, fmt.Errorf("%w: claims: malformed", ErrInvalidToken)
	}
	c.Issuer, c.Subject, c.Expiry = tok.Issuer, tok.Subject, tok.Expiry
	return &c, nil
}

// reason gives a short cause without echoing token contents.
func reason(err error) string {
	var exp *oidc.TokenExpiredError
	switch {
	case errors.As(err, &exp):
		return "expired"
	case strings.Contains(err.Error(), "fetching keys"):
		return "signing keys unavailable"
	case strings.Contains(err.Error(), "issuer"):
		return "wrong issuer"
	case strings.Contains(err.Error(), "audience"):
		return "wrong audience"
	case strings.Contains(err.Error(), "signature"), strings.Contains(err.Error(), "signing"):
		return "bad signature"
	default:
		return "malformed"
	}
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
