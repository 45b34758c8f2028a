package vercelapi

import (
	"context"
	"net/http"
)

// Contact is an account's best contact person.
type Contact struct {
	Email string `json:"email"`
	Name  string `json:"name,omitempty"`
}

// AccountInfo describes the Vercel account (team) behind an installation.
type AccountInfo struct {
	Contact *Contact `json:"contact"` // nil when Vercel has none
	Name    string   `json:"name,omitempty"`
	URL     string   `json:"url"` // the installation in Vercel's dashboard
}

// GetAccountInfo reads the installation's account and its current best
// contact, which changes as members and roles change.
//
// GET /v1/installations/{installationId}/account
func (c *Client) GetAccountInfo(ctx context.Context, token, installationID string) (*AccountInfo, error) {
	return callJSON[AccountInfo](ctx, c, http.MethodGet, token, pathf("/v1/installations/%s/account", installationID), []string{"installationId", installationID}, nil)
}

// Member roles.
const (
	RoleAdmin = "ADMIN"
	RoleUser  = "USER"
)

// Member is one member of the installation's team.
type Member struct {
	ID           string `json:"id"`
	Role         string `json:"role"` // ADMIN | USER
	GlobalUserID string `json:"globalUserId,omitempty"`
	UserEmail    string `json:"userEmail,omitempty"`
}

// GetMember reads a member by the user_id claim of a user token or SSO
// id_token, giving their current role.
//
// GET /v1/installations/{installationId}/member/{memberId}
func (c *Client) GetMember(ctx context.Context, token, installationID, memberID string) (*Member, error) {
	return callJSON[Member](ctx, c, http.MethodGet, token, pathf("/v1/installations/%s/member/%s", installationID, memberID), []string{"installationId", installationID, "memberId", memberID}, nil)
}
