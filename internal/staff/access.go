// Package staff is the partner's own people signing in to the staff
// console: the OpenID Connect sign-in with the partner's provider
// (authorization code with PKCE, state and nonce), who may sign in and
// with which role, and console sessions. It knows nothing of HTTP
// handlers or cookies.
package staff

import (
	"strings"

	"github.com/vercel-partner/partner-server/internal/installations"
)

// Roles, as sessions hold them.
const (
	Operator = installations.StaffOperator
	Viewer   = installations.StaffViewer
)

// Access says who may sign in: e-mail addresses or "@domain" entries,
// as operators (who act) or viewers (who look). An e-mail in both lists
// is an operator.
type Access struct {
	operators, viewers []string
}

// NewAccess reads the configured lists (console.operators, .viewers).
func NewAccess(operators, viewers []string) Access {
	return Access{operators: normalize(operators), viewers: normalize(viewers)}
}

func normalize(list []string) []string {
	out := make([]string, 0, len(list))
	for _, e := range list {
		if e = strings.ToLower(strings.TrimSpace(e)); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// Role is the role of email, and false when it may not sign in. A
// domain entry matches that domain exactly, not its subdomains.
func (a Access) Role(email string) (string, bool) {
	email = strings.ToLower(strings.TrimSpace(email))
	at := strings.LastIndexByte(email, '@')
	if at <= 0 || at == len(email)-1 {
		return "", false
	}
	domain := email[at:]
	match := func(list []string) bool {
		for _, e := range list {
			if e == email || e == domain {
				return true
			}
		}
		return false
	}
	switch {
	case match(a.operators):
		return Operator, true
	case match(a.viewers):
		return Viewer, true
	}
	return "", false
}
