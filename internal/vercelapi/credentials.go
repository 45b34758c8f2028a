package vercelapi

import (
	"context"
	"net/http"
)

// CredentialRotation is rotateInstallationCredential's body.
type CredentialRotation struct {
	ClientSecret string `json:"client_secret" vercel:"required"`
	ClientID     string `json:"client_id,omitempty"`
}

// Validate checks r against Vercel's schema.
func (r *CredentialRotation) Validate() error {
	if r == nil {
		return nilBody()
	}
	v := &validator{}
	v.required("client_secret", r.ClientSecret)
	return v.err()
}

// NewCredential is rotateInstallationCredential's answer: the new
// installation token. It never appears in a log or an error.
type NewCredential struct {
	AccessToken string  `json:"access_token"`
	ExpiresIn   float64 `json:"expires_in"`
	Scope       string  `json:"scope"`
	TokenType   string  `json:"token_type"`
}

// CredentialRevocation is revokeInstallationCredential's body: the token
// to retire.
type CredentialRevocation struct {
	Token        string `json:"token" vercel:"required"`
	ClientSecret string `json:"client_secret" vercel:"required"`
	ClientID     string `json:"client_id,omitempty"`
}

// Validate checks r against Vercel's schema.
func (r *CredentialRevocation) Validate() error {
	if r == nil {
		return nilBody()
	}
	v := &validator{}
	v.required("token", r.Token)
	v.required("client_secret", r.ClientSecret)
	return v.err()
}

// Revocation is revokeInstallationCredential's answer.
type Revocation struct {
	Revoked        bool `json:"revoked"`
	AlreadyRevoked bool `json:"already_revoked"`
}

// RotateInstallationCredential issues a new installation token; token is
// the current one, which keeps working until it is revoked. A repeat
// issues another token, so callers do not retry it blindly.
//
// POST /v1/installations/{installationId}/credentials/rotate
func (c *Client) RotateInstallationCredential(ctx context.Context, token, installationID string, r *CredentialRotation) (*NewCredential, error) {
	return callJSON[NewCredential](ctx, c, http.MethodPost, token, pathf("/v1/installations/%s/credentials/rotate", installationID),
		[]string{"installationId", installationID}, r)
}

// RevokeInstallationCredential retires r.Token; token is a live one (not
// r.Token: Vercel refuses to revoke the last live token).
//
// POST /v1/installations/{installationId}/credentials/revoke
func (c *Client) RevokeInstallationCredential(ctx context.Context, token, installationID string, r *CredentialRevocation) (*Revocation, error) {
	return callJSON[Revocation](ctx, c, http.MethodPost, token, pathf("/v1/installations/%s/credentials/revoke", installationID),
		[]string{"installationId", installationID}, r)
}
