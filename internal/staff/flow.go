package staff

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// Bounds of what a callback and an id_token may carry.
const (
	maxCode  = 2048
	maxState = 64
	maxEmail = 320
	maxName  = 200
)

// loginTTL is how long a sign-in may take at the provider.
const loginTTL = 10 * time.Minute

// providerTimeout bounds each call to the provider.
const providerTimeout = 10 * time.Second

// Config is the partner's OpenID Connect client (console.oidc) and the
// console's redirect URI (<public_url>/console/callback).
type Config struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	RedirectURL  string
}

// Flow signs staff in: Begin sends them to the provider, Finish checks
// what comes back. The id_token and the code live only in Finish: never
// stored, logged or put in an error.
type Flow struct {
	cfg    Config
	access Access
	store  installations.StaffStore
	log    *slog.Logger
	client *http.Client
	now    func() time.Time

	mu       sync.Mutex
	provider *oidc.Provider // discovered at the first sign-in, then kept
}

// NewFlow returns the sign-in flow; the provider is discovered at the
// first sign-in, so the server starts while the provider is down.
func NewFlow(cfg Config, access Access, store installations.StaffStore, log *slog.Logger) *Flow {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Flow{cfg: cfg, access: access, store: store, log: log,
		client: &http.Client{Timeout: providerTimeout}, now: time.Now}
}

// Identity is who signed in.
type Identity struct {
	Email string
	Name  string
	Role  string
}

// Errors a sign-in ends with. Their messages are fixed text.
var (
	errNoProvider = &apperr.Error{Kind: apperr.Unavailable, Code: "provider_unavailable",
		Message: "The sign-in provider did not answer. Try again in a moment."}
	errWrongBrowser = apperr.New(apperr.Invalid, "state_mismatch",
		"This sign-in was not started in this browser, or its state does not match. Start again from the console.")
	errLoginUsed = apperr.New(apperr.Invalid, "login_expired",
		"This sign-in has expired or was already used. Start again from the console.")
	errBadCallback = apperr.New(apperr.Invalid, "bad_callback", "The sign-in answer is incomplete or malformed.")
	errCodeRefused = apperr.New(apperr.Invalid, "code_refused",
		"The provider refused the sign-in code: it has expired or was already used. Start again from the console.")
	errToken = apperr.New(apperr.Unauthorized, "invalid_id_token",
		"The provider's sign-in token could not be verified for this console.")
	errUnverified = apperr.New(apperr.Forbidden, "email_unverified",
		"Your provider does not confirm that your e-mail address is verified, so it cannot be used to sign in.")
	errNotAllowed = apperr.New(apperr.Forbidden, "not_allowed",
		"Your account is not allowed to use this console. Ask an administrator to add your e-mail.")
)

// discover returns the provider, reading its discovery document once.
// Its key set is fetched with a context of its own: the provider keeps
// using it after this request.
func (f *Flow) discover(ctx context.Context) (*oidc.Provider, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.provider != nil {
		return f.provider, nil
	}
	p, err := oidc.NewProvider(oidc.ClientContext(context.Background(), f.client), f.cfg.Issuer)
	if err != nil {
		f.log.ErrorContext(ctx, "console: OpenID Connect discovery failed", "issuer", f.cfg.Issuer, "err", err)
		return nil, errNoProvider
	}
	f.provider = p
	return p, nil
}

func (f *Flow) oauth(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{ClientID: f.cfg.ClientID, ClientSecret: f.cfg.ClientSecret, RedirectURL: f.cfg.RedirectURL,
		Endpoint: p.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}
}

// Begin starts a sign-in: it keeps a fresh nonce and PKCE verifier under
// a hash of a fresh state, and returns the provider's authorization URL
// and the state, which the caller binds to the browser.
func (f *Flow) Begin(ctx context.Context) (authURL, state string, err error) {
	p, err := f.discover(ctx)
	if err != nil {
		return "", "", err
	}
	state, nonce, verifier := rand.Text(), rand.Text(), oauth2.GenerateVerifier()
	if err := f.store.PutStaffLogin(ctx, hash(state), installations.StaffLogin{Nonce: nonce, Verifier: verifier,
		ExpiresAt: f.now().Add(loginTTL)}); err != nil {
		return "", "", err
	}
	return f.oauth(p).AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), state, nil
}

// Finish checks a callback: the state must be the one this browser
// started (browserState) and not used before; the code is exchanged with
// the PKCE verifier; the id_token must verify (issuer, audience = our
// client id, expiry, signature) and carry our nonce; its e-mail must be
// verified and allowed. Errors are apperr kinds: Invalid (state, code),
// Unauthorized (the token), Forbidden (the person), Unavailable or
// Upstream (the provider).
func (f *Flow) Finish(ctx context.Context, browserState, state, code string) (*Identity, error) {
	if state == "" || len(state) > maxState || code == "" || len(code) > maxCode {
		return nil, errBadCallback
	}
	if subtle.ConstantTimeCompare([]byte(browserState), []byte(state)) != 1 {
		return nil, errWrongBrowser
	}
	login, err := f.store.TakeStaffLogin(ctx, hash(state))
	if apperr.KindOf(err) == apperr.NotFound || (err == nil && !f.now().Before(login.ExpiresAt)) {
		return nil, errLoginUsed
	}
	if err != nil {
		return nil, err
	}
	p, err := f.discover(ctx)
	if err != nil {
		return nil, err
	}
	raw, err := f.exchange(ctx, p, code, login.Verifier)
	if err != nil {
		return nil, err
	}
	tok, err := p.Verifier(&oidc.Config{ClientID: f.cfg.ClientID}).Verify(ctx, raw)
	if err != nil {
		// go-oidc's errors name the failed check, never the token.
		f.log.WarnContext(ctx, "console: id_token rejected", "err", err)
		return nil, errToken
	}
	if subtle.ConstantTimeCompare([]byte(tok.Nonce), []byte(login.Nonce)) != 1 {
		f.log.WarnContext(ctx, "console: id_token carries another nonce")
		return nil, errToken
	}
	return f.identity(ctx, tok)
}

// exchange trades the code for the raw id_token.
func (f *Flow) exchange(ctx context.Context, p *oidc.Provider, code, verifier string) (string, error) {
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, f.client), providerTimeout)
	defer cancel()
	t, err := f.oauth(p).Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if re, ok := errors.AsType[*oauth2.RetrieveError](err); ok && re.Response != nil && re.Response.StatusCode < 500 {
		f.log.WarnContext(ctx, "console: code exchange refused", "status", re.Response.StatusCode, "error", bounded(re.ErrorCode, 64))
		return "", errCodeRefused
	}
	if err != nil {
		f.log.ErrorContext(ctx, "console: code exchange failed", "err", exchangeFailure(err))
		return "", &apperr.Error{Kind: apperr.Upstream, Code: "exchange_failed",
			Message: "The sign-in provider did not complete the sign-in. Try again in a moment."}
	}
	raw, _ := t.Extra("id_token").(string)
	if raw == "" {
		f.log.WarnContext(ctx, "console: the token answer has no id_token")
		return "", errToken
	}
	return raw, nil
}

// exchangeFailure describes a failed exchange without its body, which
// could echo what we sent.
func exchangeFailure(err error) string {
	if re, ok := errors.AsType[*oauth2.RetrieveError](err); ok && re.Response != nil {
		return fmt.Sprintf("provider answered %d", re.Response.StatusCode)
	}
	return err.Error()
}

// identity reads the verified token's e-mail and name and finds the role.
func (f *Flow) identity(ctx context.Context, tok *oidc.IDToken) (*Identity, error) {
	var c struct {
		Email         string `json:"email"`
		EmailVerified any    `json:"email_verified"`
		Name          string `json:"name"`
	}
	if err := tok.Claims(&c); err != nil {
		return nil, errToken
	}
	email := strings.ToLower(strings.TrimSpace(installations.StorableText(c.Email)))
	if email == "" || len(email) > maxEmail || !verified(c.EmailVerified) {
		f.log.WarnContext(ctx, "console: sign-in without a verified e-mail", "subject", bounded(tok.Subject, 128))
		return nil, errUnverified
	}
	role, ok := f.access.Role(email)
	if !ok {
		f.log.WarnContext(ctx, "console: sign-in refused: not an operator or viewer", "email", email)
		return nil, errNotAllowed
	}
	return &Identity{Email: email, Name: bounded(c.Name, maxName), Role: role}, nil
}

// verified reads email_verified: true, or "true" as some providers write it.
func verified(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return v == "true"
	}
	return false
}

// bounded makes s storable and cuts it to at most n bytes.
func bounded(s string, n int) string {
	s = installations.StorableText(s)
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "")
	}
	return s
}
