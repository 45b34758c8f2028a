package partnerapi

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/handlers"
	"github.com/vercel-partner/partner-server/internal/vercelauth"
)

type ctxKey int

const claimsKey ctxKey = 0

// VercelClaims returns the verified claims of the request's Vercel token.
func VercelClaims(ctx context.Context) *vercelauth.Claims {
	c, _ := ctx.Value(claimsKey).(*vercelauth.Claims)
	return c
}

// access says who may call a partner-API route.
type access int

const (
	readAccess         access = iota // any user, or a system token
	adminWrite                       // ADMIN user tokens only
	adminOrSystemWrite               // ADMIN user tokens or system tokens
)

// requireVercel verifies the bearer token (401 when it does not verify) and
// then applies our claim rules (403): no id_tokens, the path's installation
// must be the token's, and only what acc allows.
func requireVercel(v *vercelauth.Verifier, log *slog.Logger, acc access) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			raw, ok := vercelauth.BearerToken(r.Header)
			if !ok {
				handlers.WriteError(w, r, log, apperr.New(apperr.Unauthorized, "unauthorized", "missing bearer token"))
				return
			}
			claims, err := v.Verify(r.Context(), raw)
			if err != nil {
				level := slog.LevelInfo
				if strings.HasSuffix(err.Error(), "signing keys unavailable") { // JWKS unreachable: ours to fix, not the caller's
					level = slog.LevelError
				}
				log.Log(r.Context(), level, "vercel token refused", "request_id", handlers.RequestID(r.Context()), "route", handlers.RoutePattern(r), "reason", err.Error())
				handlers.WriteError(w, r, log, apperr.New(apperr.Unauthorized, "unauthorized", "token did not verify"))
				return
			}
			if err := authorize(claims, chi.URLParam(r, "installationId"), acc); err != nil {
				handlers.WriteError(w, r, log, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), claimsKey, claims)))
		})
	}
}

func authorize(c *vercelauth.Claims, pathInstallation string, acc access) error {
	forbid := func(msg string) error { return apperr.New(apperr.Forbidden, "forbidden", msg) }
	if c.Type == vercelauth.TypeIDToken {
		return forbid("an SSO id_token is not a partner-API credential")
	}
	if c.Type != "" && c.Type != vercelauth.TypeAccessToken {
		return forbid("unknown token type")
	}
	if pathInstallation != "" && c.InstallationID != pathInstallation {
		return forbid("installation ID mismatch")
	}
	switch acc {
	case adminWrite:
		if !c.IsAdmin() {
			return forbid("only ADMIN members may change the installation")
		}
	case adminOrSystemWrite:
		if c.IsUser() && !c.IsAdmin() {
			return forbid("only ADMIN members may change the installation")
		}
	}
	return nil
}
