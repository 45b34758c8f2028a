package dashboard

import (
	"context"
	"net/http"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
)

type ctxKey int

const sessionKey ctxKey = 0

// Cookie names: the __Host- prefix (Secure, Path=/, no Domain) under https.
const (
	sessionCookie       = "partner_session"
	secureSessionCookie = "__Host-partner_session"
)

// reqSession is the signed-in member of a dashboard request.
type reqSession struct {
	installations.Session
	Installation installations.Installation
	account      string // account name for the layout
}

func sessionFrom(ctx context.Context) (*reqSession, bool) {
	s, ok := ctx.Value(sessionKey).(*reqSession)
	return s, ok
}

func (b *Browser) cookieName() string {
	if b.secure {
		return secureSessionCookie
	}
	return sessionCookie
}

// setSessionCookie hands the browser the session id, and nothing else.
func (b *Browser) setSessionCookie(w http.ResponseWriter, id string) {
	http.SetCookie(w, &http.Cookie{
		Name: b.cookieName(), Value: id, Path: "/",
		MaxAge: int(b.Sessions.MaxAge / time.Second), HttpOnly: true, Secure: b.secure, SameSite: http.SameSiteLaxMode,
	})
}

func (b *Browser) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: b.cookieName(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: b.secure, SameSite: http.SameSiteLaxMode,
	})
}

// sessionID is the id in the request's cookie, "" when none.
func (b *Browser) sessionID(r *http.Request) string {
	c, err := r.Cookie(b.cookieName())
	if err != nil {
		return ""
	}
	return c.Value
}

// requireSession loads the member's session and installation; without a
// live one the browser is sent to the "open from Vercel" page.
func (b *Browser) requireSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		id := b.sessionID(r)
		s, err := b.Sessions.Lookup(ctx, id)
		if err != nil {
			if apperr.KindOf(err) != apperr.Unauthorized {
				b.renderAppError(w, r, err)
				return
			}
			if id != "" {
				b.clearSessionCookie(w)
			}
			http.Redirect(w, r, "/signin", http.StatusSeeOther)
			return
		}
		inst, err := b.Installations.Get(ctx, s.InstallationID)
		if err != nil || inst.Status != installations.StatusActive {
			// Uninstalled since sign-in: the session is over.
			_ = b.Sessions.End(ctx, id)
			b.clearSessionCookie(w)
			target := "/signin"
			if err == nil && inst.Uninstalled() {
				target += "?uninstalled=1"
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		rs := &reqSession{Session: s, Installation: inst}
		rs.account = b.accountName(ctx, inst)
		next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, sessionKey, rs)))
	})
}

// requireAdmin refuses members without the ADMIN role, whatever form they
// forge: the role comes from the session, never from the request.
func (b *Browser) requireAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, ok := sessionFrom(r.Context())
		if !ok || !s.IsAdmin() {
			b.renderError(w, r, http.StatusForbidden, "Not allowed", "Only admins of this Vercel team can change it. Your role is read-only.")
			return
		}
		next.ServeHTTP(w, r)
	})
}
