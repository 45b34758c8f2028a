// Package sso is "Open in Provider" sign-in: the code exchange, id_token
// verification, member role lookup, dashboard sessions and the deep links
// Vercel's redirect carries. It knows nothing of HTTP handlers or cookies.
package sso

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelauth"
	"github.com/vercel-partner/partner-server/internal/vercelcall"
)

// Member roles a session can hold.
const (
	RoleAdmin = installations.RoleAdmin
	RoleUser  = installations.RoleUser
)

// Bounds on what Vercel's redirect and id_token may carry.
const (
	maxCodeLen  = 512
	maxStateLen = 1024
	maxNameLen  = 200
	maxEmailLen = 320
	maxURLLen   = 2048
)

// Timeouts of the calls one sign-in makes to Vercel.
const (
	exchangeTimeout  = 10 * time.Second
	getMemberTimeout = 5 * time.Second
)

// validRef bounds the ids an id_token names (installation and user).
var validRef = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,128}$`)

// Exchanger trades an SSO code for Vercel's id_token.
type Exchanger interface {
	ExchangeSSOToken(ctx context.Context, req *vercelapi.SSOTokenRequest) (*vercelapi.SSOToken, error)
}

// Verifier checks a Vercel-signed token (vercelauth.Verifier).
type Verifier interface {
	Verify(ctx context.Context, raw string) (*vercelauth.Claims, error)
}

// Flow signs a Vercel user in from an SSO code.
type Flow struct {
	Exchanger Exchanger
	// Vercel looks the member up with the installation's token.
	Vercel        *vercelcall.Caller
	Verifier      Verifier
	Installations installations.Store
	// Members, when set, remembers who signed in, so the partner's staff
	// can find an installation by a member's e-mail.
	Members      installations.Directory
	ClientID     string
	ClientSecret string
	Log          *slog.Logger
}

// Identity is who signed in: a member of an installation we hold.
type Identity struct {
	InstallationID string
	UserID         string
	Name           string
	Email          string
	AvatarURL      string
	Role           string
	// RoleFromToken is set when getMember was unreachable and the role
	// came from the id_token.
	RoleFromToken bool
}

// ErrUninstalled refuses a sign-in to an installation Vercel uninstalled:
// its dashboard is closed until the team installs the integration again.
var ErrUninstalled = apperr.New(apperr.Forbidden, "installation_uninstalled",
	"This integration was uninstalled from your Vercel team, so its dashboard is closed. Install the integration again from Vercel to use it.")

// SignIn exchanges code and state for Vercel's id_token, verifies it,
// checks that we hold its installation and looks the member's role up.
// The id_token and the code live only in this call: never stored, logged,
// or put in an error. Errors are apperr kinds: Invalid (bad or used code),
// Unauthorized (token did not verify), Forbidden (not ours or not a
// member), Upstream (Vercel failed).
func (f *Flow) SignIn(ctx context.Context, code, state string) (*Identity, error) {
	if code == "" || len(code) > maxCodeLen || len(state) > maxStateLen {
		return nil, apperr.New(apperr.Invalid, "bad_request", "The sign-in link is incomplete or malformed.")
	}
	claims, err := f.exchange(ctx, code, state)
	if err != nil {
		return nil, err
	}
	inst, err := f.Installations.Get(ctx, claims.InstallationID)
	switch {
	case err == nil && inst.Uninstalled():
		f.Log.InfoContext(ctx, "sso: sign-in to an uninstalled installation", "installation_id", claims.InstallationID)
		return nil, ErrUninstalled
	case apperr.KindOf(err) == apperr.NotFound || (err == nil && inst.Status != installations.StatusActive):
		f.Log.WarnContext(ctx, "sso: id_token for an installation we do not hold", "installation_id", claims.InstallationID)
		return nil, apperr.New(apperr.Forbidden, "unknown_installation", "This installation is not connected to our service.")
	case err != nil:
		return nil, err
	}
	id := &Identity{
		InstallationID: claims.InstallationID,
		UserID:         claims.UserID,
		Name:           bounded(claims.UserName, maxNameLen),
		Email:          bounded(claims.UserEmail, maxEmailLen),
		AvatarURL:      safeAvatar(claims.UserAvatarURL),
	}
	if err := f.resolveRole(ctx, id, claims.UserRole); err != nil {
		return nil, err
	}
	f.remember(ctx, id)
	return id, nil
}

// remember records the member for the staff's search; a failure does not
// stop the sign-in.
func (f *Flow) remember(ctx context.Context, id *Identity) {
	if f.Members == nil {
		return
	}
	err := f.Members.SeenMember(ctx, installations.Member{InstallationID: id.InstallationID, UserID: id.UserID,
		Email: id.Email, Name: id.Name, Role: id.Role, LastSeenAt: time.Now()})
	if err != nil {
		f.Log.WarnContext(ctx, "sso: could not record the member", "installation_id", id.InstallationID, "err", err)
	}
}

// exchange trades the code for an id_token and verifies it.
func (f *Flow) exchange(ctx context.Context, code, state string) (*vercelauth.Claims, error) {
	ectx, cancel := context.WithTimeout(ctx, exchangeTimeout)
	defer cancel()
	tok, err := f.Exchanger.ExchangeSSOToken(ectx, &vercelapi.SSOTokenRequest{
		Code: code, State: state, ClientID: f.ClientID, ClientSecret: f.ClientSecret,
	})
	if err != nil {
		return nil, f.exchangeError(ctx, err)
	}
	claims, err := f.Verifier.Verify(ctx, tok.IDToken)
	if err != nil {
		// vercelauth errors name the reason only, never the token.
		f.Log.WarnContext(ctx, "sso: id_token rejected", "err", err)
		return nil, apperr.New(apperr.Unauthorized, "invalid_token", "Vercel's sign-in token could not be verified.")
	}
	switch {
	case claims.Type != "" && claims.Type != vercelauth.TypeIDToken:
		f.Log.WarnContext(ctx, "sso: token is not an id_token", "type", bounded(claims.Type, 32))
		return nil, apperr.New(apperr.Unauthorized, "invalid_token", "Vercel's sign-in token could not be verified.")
	case !validRef.MatchString(claims.InstallationID) || !validRef.MatchString(claims.UserID):
		f.Log.WarnContext(ctx, "sso: id_token lacks a valid installation_id or user_id")
		return nil, apperr.New(apperr.Unauthorized, "invalid_token", "Vercel's sign-in token does not name a user of an installation.")
	}
	return claims, nil
}

// exchangeError maps a failed exchange to what the user sees. APIError and
// TransportError texts never carry the code or the client secret.
func (f *Flow) exchangeError(ctx context.Context, err error) error {
	ae, _ := errors.AsType[*vercelapi.APIError](err)
	switch kind := vercelcall.Classify(err).Kind; {
	case ae != nil && kind == apperr.Invalid:
		f.Log.WarnContext(ctx, "sso: code exchange refused", "status", ae.StatusCode, "vercel_code", ae.Code)
		return apperr.New(apperr.Invalid, "exchange_refused", "This sign-in link has expired or was already used. Open the integration from Vercel again.")
	case ae != nil && kind == apperr.Upstream:
		// Our client credentials were refused: an operator problem.
		f.Log.ErrorContext(ctx, "sso: code exchange refused our client credentials", "status", ae.StatusCode, "vercel_code", ae.Code)
	case ae != nil:
		f.Log.ErrorContext(ctx, "sso: code exchange failed", "status", ae.StatusCode, "vercel_code", ae.Code)
	default:
		f.Log.ErrorContext(ctx, "sso: code exchange failed", "err", err)
	}
	return &apperr.Error{Kind: apperr.Upstream, Code: "exchange_failed", Message: "Vercel could not confirm the sign-in. Try again from Vercel in a moment."}
}

// resolveRole asks Vercel for the member's current role with the
// installation's token. The id_token's role is used only when Vercel is
// unreachable, and the log says so.
func (f *Flow) resolveRole(ctx context.Context, id *Identity, tokenRole string) error {
	m, err := f.Vercel.WithTimeout(getMemberTimeout).For(id.InstallationID).GetMember(ctx, id.UserID)
	class := vercelcall.Classify(err)
	if class.TokenUnread {
		f.Log.WarnContext(ctx, "sso: installation has no usable access token", "installation_id", id.InstallationID, "err", err)
		return apperr.New(apperr.Forbidden, "unknown_installation", "This installation is not connected to our service.")
	}
	switch {
	case err == nil:
		if m.Role != RoleAdmin && m.Role != RoleUser {
			f.Log.WarnContext(ctx, "sso: member has no dashboard role", "installation_id", id.InstallationID, "role", bounded(m.Role, 16))
			return apperr.New(apperr.Forbidden, "not_a_member", "Your Vercel account is not a member of this installation.")
		}
		id.Role = m.Role
		if id.Email == "" {
			id.Email = bounded(m.UserEmail, maxEmailLen)
		}
		return nil
	case class.Retryable:
		if tokenRole != RoleAdmin && tokenRole != RoleUser {
			f.Log.ErrorContext(ctx, "sso: getMember unreachable and the id_token has no role", "err", err)
			return apperr.New(apperr.Upstream, "member_lookup_failed", "Vercel could not confirm your role. Try again in a moment.")
		}
		f.Log.WarnContext(ctx, "sso: getMember unreachable; falling back to the id_token's role",
			"installation_id", id.InstallationID, "role", tokenRole, "err", err)
		id.Role, id.RoleFromToken = tokenRole, true
		return nil
	case class.Kind == apperr.NotFound:
		f.Log.WarnContext(ctx, "sso: user is not a member of the installation", "installation_id", id.InstallationID)
		return apperr.New(apperr.Forbidden, "not_a_member", "Your Vercel account is not a member of this installation.")
	}
	f.Log.ErrorContext(ctx, "sso: getMember failed", "installation_id", id.InstallationID, "err", err)
	return &apperr.Error{Kind: apperr.Upstream, Code: "member_lookup_failed", Message: "Vercel could not confirm your role. Try again in a moment.", Err: err}
}

// bounded cuts s to at most n bytes, dropping a rune cut in half. Text a
// database cannot store (NUL, invalid UTF-8) is replaced first.
func bounded(s string, n int) string {
	s = installations.StorableText(s)
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// safeAvatar keeps an avatar URL only when it is an absolute https URL.
func safeAvatar(raw string) string {
	if raw == "" || len(raw) > maxURLLen {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return ""
	}
	return u.String()
}
