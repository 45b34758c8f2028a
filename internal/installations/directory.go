package installations

import (
	"context"
	"strings"
	"time"
)

// Member is a person of an installation's team as last seen at "Open in
// Provider" sign-in.
type Member struct {
	InstallationID string
	UserID         string
	Email          string
	Name           string
	Role           string
	LastSeenAt     time.Time
}

// MaxSearch bounds a search of installations, in bytes.
const MaxSearch = 200

// SearchText is q as a store searches for it: trimmed, storable, at
// most MaxSearch bytes. Any input is accepted.
func SearchText(q string) string {
	return strings.TrimSpace(boundText(strings.TrimSpace(q), MaxSearch))
}

// Directory finds installations for the partner's staff.
type Directory interface {
	// SeenMember records a member at sign-in (their latest e-mail, name
	// and role).
	SeenMember(ctx context.Context, m Member) error
	// Members lists the members seen of an installation, latest first.
	Members(ctx context.Context, installationID string) ([]Member, error)
	// SearchInstallations finds up to limit installations whose id,
	// account name, contact e-mail or a member's e-mail holds q, in any
	// case (SearchText; "" lists them all), newest first.
	SearchInstallations(ctx context.Context, q string, limit int) ([]Installation, error)
}
