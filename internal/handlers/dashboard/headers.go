package dashboard

import (
	"github.com/vercel-partner/partner-server/internal/handlers"

	"errors"
	"net/http"

	"github.com/vercel-partner/partner-server/internal/apperr"
)

// contentSecurityPolicy allows no script at all, styles and images from
// us (avatars from any https host), forms posting to us only, no framing.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self' https:; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// securityHeaders sets the browser safety headers. /callback keeps
// Cross-Origin-Opener-Policy relaxed because Vercel may open it from a
// popup, and sends no referrer because its URL carries the SSO code.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		if r.URL.Path == "/callback" {
			h.Set("Cross-Origin-Opener-Policy", "unsafe-none")
			h.Set("Referrer-Policy", "no-referrer")
		} else {
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			h.Set("Referrer-Policy", "same-origin")
		}
		if r.URL.Path != "/static/style.css" {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

func appErr(err error) (*apperr.Error, bool) {
	return errors.AsType[*apperr.Error](err)
}

func statusOfErr(err error) int {
	return handlers.StatusOf(apperr.KindOf(err))
}
