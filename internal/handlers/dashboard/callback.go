package dashboard

import (
	"net/http"
	"time"

	"github.com/vercel-partner/partner-server/internal/installations"
)

// maxCallbackQuery bounds the callback's query string.
const maxCallbackQuery = 8 << 10

// handleCallback is Vercel's "Open in Provider" redirect: it signs the
// member in and sends them to the page the context parameters point at.
// The code and the id_token never leave this request: the access log
// records the path only, and errors carry fixed messages.
//
// GET /callback?mode=sso&code=..&state=..[&resource_id|invoice_id|path|url|...]
func (b *Browser) handleCallback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if len(r.URL.RawQuery) > maxCallbackQuery {
		b.renderError(w, r, http.StatusBadRequest, "This request could not be used", "The sign-in link is too long.")
		return
	}
	q := r.URL.Query()
	if m := q.Get("mode"); m != "" && m != "sso" {
		b.renderError(w, r, http.StatusBadRequest, "This request could not be used", "This sign-in mode is not supported.")
		return
	}
	if !b.exchanges.Allow(r, time.Now()) {
		w.Header().Set("Retry-After", "10")
		b.renderError(w, r, http.StatusTooManyRequests, "Too many sign-ins", "Too many sign-in attempts came from your address. Wait a moment and open the integration from Vercel again.")
		return
	}
	id, err := b.Flow.SignIn(ctx, q.Get("code"), q.Get("state"))
	if err != nil {
		b.renderAppError(w, r, err)
		return
	}
	// A new id at every sign-in; any session the browser had is ended.
	if old := b.sessionID(r); old != "" {
		if err := b.Sessions.End(ctx, old); err != nil {
			b.Log.WarnContext(ctx, "browser: ending previous session", "err", err)
		}
	}
	sid, _, err := b.Sessions.Create(ctx, installations.Session{
		InstallationID: id.InstallationID, UserID: id.UserID, Name: id.Name,
		Email: id.Email, AvatarURL: id.AvatarURL, Role: id.Role,
	})
	if err != nil {
		b.renderAppError(w, r, err)
		return
	}
	b.setSessionCookie(w, sid)
	b.Log.InfoContext(ctx, "sso: signed in", "installation_id", id.InstallationID, "user_id", id.UserID,
		"role", id.Role, "role_from_token", id.RoleFromToken)
	http.Redirect(w, r, b.linker.Target(ctx, id.InstallationID, q), http.StatusSeeOther)
}

type signInView struct{ SignedOut, Uninstalled bool }

// handleSignIn tells a visitor without a session to open the integration
// from Vercel, the only way in.
//
// GET /signin
func (b *Browser) handleSignIn(w http.ResponseWriter, r *http.Request) {
	b.render(w, r, http.StatusOK, "signin", view{Title: "Sign in", Data: signInView{SignedOut: r.URL.Query().Get("out") == "1",
		Uninstalled: r.URL.Query().Get("uninstalled") == "1"}})
}

// handleLogout ends the session and forgets the cookie.
//
// POST /logout
func (b *Browser) handleLogout(w http.ResponseWriter, r *http.Request) {
	if id := b.sessionID(r); id != "" {
		if err := b.Sessions.End(r.Context(), id); err != nil {
			b.renderAppError(w, r, err)
			return
		}
	}
	b.clearSessionCookie(w)
	http.Redirect(w, r, "/signin?out=1", http.StatusSeeOther)
}
