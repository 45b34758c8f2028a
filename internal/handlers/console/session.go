package console

import (
	"context"
	"net/http"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/handlers"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/staff"
)

// Cookie names, apart from the dashboard's. Under https the session
// cookie takes the __Host- prefix (Secure, Path=/, no Domain) and the
// sign-in cookie, which lives on the callback's path only, __Secure-.
const (
	sessionCookie       = "partner_console"
	secureSessionCookie = "__Host-partner_console"
	loginCookie         = "partner_console_login"
	secureLoginCookie   = "__Secure-partner_console_login"
	loginCookiePath     = "/console/callback"
)

type ctxKey int

const sessionKey ctxKey = 0

// reqSession is the signed-in staff member of a request.
type reqSession struct {
	installations.StaffSession
	id string
}

func sessionFrom(ctx context.Context) (*reqSession, bool) {
	s, ok := ctx.Value(sessionKey).(*reqSession)
	return s, ok
}

func (c *Console) cookieName() string {
	if c.secure {
		return secureSessionCookie
	}
	return sessionCookie
}

func (c *Console) loginCookieName() string {
	if c.secure {
		return secureLoginCookie
	}
	return loginCookie
}

// setCookie sets (maxAge > 0) or clears (maxAge < 0) a console cookie.
// SameSite=Lax: the browser comes back from the provider by a top-level
// redirect; cross-site posts are refused by CrossOriginProtection.
func (c *Console) setCookie(w http.ResponseWriter, name, path, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode})
}

func (c *Console) cookie(r *http.Request, name string) string {
	if k, err := r.Cookie(name); err == nil {
		return k.Value
	}
	return ""
}

// requireSession loads the staff member's session; without a live one
// every console request, page or form, is sent to sign in.
func (c *Console) requireSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := c.cookie(r, c.cookieName())
		s, err := c.Sessions.Lookup(r.Context(), id)
		if err != nil {
			if apperr.KindOf(err) != apperr.Unauthorized {
				c.renderAppError(w, r, err)
				return
			}
			if id != "" {
				c.setCookie(w, c.cookieName(), "/", "", -1)
			}
			http.Redirect(w, r, "/console/login", http.StatusSeeOther)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sessionKey, &reqSession{StaffSession: s, id: id})))
	})
}

// requireOperator refuses viewers: the role comes from the session,
// never from the request.
func (c *Console) requireOperator(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s, ok := sessionFrom(r.Context()); !ok || !s.CanAct() {
			c.renderError(w, r, http.StatusForbidden, "Not allowed", "You are signed in as a viewer: you can look, but only operators can act.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// handleLogin starts a sign-in at the partner's provider: a fresh state
// (bound to this browser by a cookie on the callback's path), nonce and
// PKCE verifier.
//
// GET /console/login
func (c *Console) handleLogin(w http.ResponseWriter, r *http.Request) {
	if !c.logins.Allow(r, time.Now()) {
		w.Header().Set("Retry-After", "10")
		c.renderError(w, r, http.StatusTooManyRequests, "Too many sign-ins", "Too many sign-ins came from your address. Wait a moment and try again.")
		return
	}
	to, state, err := c.SignIn.Begin(r.Context())
	if err != nil {
		c.renderAppError(w, r, err)
		return
	}
	c.setCookie(w, c.loginCookieName(), loginCookiePath, state, int((10 * time.Minute).Seconds()))
	http.Redirect(w, r, to, http.StatusFound)
}

// maxCallbackQuery bounds the callback's query string.
const maxCallbackQuery = 8 << 10

// handleCallback finishes a sign-in and starts a session. The code and
// the id_token never leave this request: the access log records the path
// only, and errors carry fixed messages.
//
// GET /console/callback?code&state (or ?error from the provider)
func (c *Console) handleCallback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	browserState := c.cookie(r, c.loginCookieName())
	c.setCookie(w, c.loginCookieName(), loginCookiePath, "", -1) // one try per sign-in
	if len(r.URL.RawQuery) > maxCallbackQuery {
		c.renderError(w, r, http.StatusBadRequest, "Sign-in failed", "The sign-in answer is too long.")
		return
	}
	q := r.URL.Query()
	if q.Get("error") != "" {
		c.renderError(w, r, http.StatusUnauthorized, "Sign-in failed", "The provider did not sign you in. Start again from the console.")
		return
	}
	id, err := c.SignIn.Finish(ctx, browserState, q.Get("state"), q.Get("code"))
	if err != nil {
		c.renderAppError(w, r, err)
		return
	}
	if old := c.cookie(r, c.cookieName()); old != "" {
		if err := c.Sessions.End(ctx, old); err != nil {
			c.Log.WarnContext(ctx, "console: ending the previous session", "err", err)
		}
	}
	sid, err := c.Sessions.Create(ctx, staff.Session{Email: id.Email, Name: id.Name, Role: id.Role})
	if err != nil {
		c.renderAppError(w, r, err)
		return
	}
	c.setCookie(w, c.cookieName(), "/", sid, int(c.Sessions.MaxAge/time.Second))
	c.record(r, installations.AuditEntry{Actor: id.Email, Action: "console.sign_in", Detail: "as " + id.Role})
	c.Log.InfoContext(ctx, "console: signed in", "email", id.Email, "role", id.Role)
	http.Redirect(w, r, "/console", http.StatusSeeOther)
}

// handleLogout ends the session and forgets the cookie.
//
// POST /console/logout
func (c *Console) handleLogout(w http.ResponseWriter, r *http.Request) {
	if id := c.cookie(r, c.cookieName()); id != "" {
		if err := c.Sessions.End(r.Context(), id); err != nil {
			c.renderAppError(w, r, err)
			return
		}
	}
	c.setCookie(w, c.cookieName(), "/", "", -1)
	http.Redirect(w, r, "/console/signed-out", http.StatusSeeOther)
}

// handleSignedOut says the session ended, with a way back in.
//
// GET /console/signed-out
func (c *Console) handleSignedOut(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, http.StatusOK, "signedout", view{Title: "Signed out"})
}

// record writes an audit entry outside any action's transaction (a
// sign-in, or an action whose use case has none); a failure is logged
// with the entry.
func (c *Console) record(r *http.Request, e installations.AuditEntry) {
	c.appendAudit(r, c.entry(r, e))
}

// appendAudit writes a complete entry; it outlives the request, which
// may end as soon as the action answered.
func (c *Console) appendAudit(r *http.Request, e installations.AuditEntry) {
	if err := c.Audit.AppendAudit(context.WithoutCancel(r.Context()), e); err != nil {
		c.Log.ErrorContext(r.Context(), "audit: could not record a console action", "actor", e.Actor, "action", e.Action,
			"target", e.Target, "request_id", e.RequestID, "err", err)
	}
}

// entry completes an audit entry with the time, the staff member (when
// not set) and the request id.
func (c *Console) entry(r *http.Request, e installations.AuditEntry) installations.AuditEntry {
	e.At, e.ActorKind, e.RequestID = c.Now(), installations.AuditStaff, handlers.RequestID(r.Context())
	if s, ok := sessionFrom(r.Context()); ok && e.Actor == "" {
		e.Actor = s.Email
	}
	return e
}
