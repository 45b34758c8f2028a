package installations

import (
	"context"
	"time"
)

// Member roles, as Vercel names them. RoleNone means the member was
// removed from the team.
const (
	RoleAdmin = "ADMIN"
	RoleUser  = "USER"
	RoleNone  = "NONE"
)

// Session is a signed-in dashboard member of one installation. It is keyed
// by a hash of the random id the browser holds; the id itself is never
// stored.
type Session struct {
	InstallationID string
	UserID         string
	Name           string
	Email          string
	AvatarURL      string
	Role           string // RoleAdmin or RoleUser
	CreatedAt      time.Time
	LastSeenAt     time.Time
	ExpiresAt      time.Time // absolute expiry; idle expiry is LastSeenAt + idle timeout
}

// IsAdmin reports whether the member may act (rename, rotate, refund).
func (s Session) IsAdmin() bool { return s.Role == RoleAdmin }

// SessionStore keeps sessions by id hash. GetSession answers an apperr
// NotFound error for an unknown hash.
type SessionStore interface {
	CreateSession(ctx context.Context, idHash string, s Session) error
	GetSession(ctx context.Context, idHash string) (Session, error)
	TouchSession(ctx context.Context, idHash string, at time.Time) error
	DeleteSession(ctx context.Context, idHash string) error
	// DeleteExpiredSessions removes sessions past their absolute expiry or
	// idle since before idleBefore.
	DeleteExpiredSessions(ctx context.Context, now, idleBefore time.Time) (int64, error)
	// SetMemberRole gives a member's live sessions a new role; RoleNone
	// (or any role but ADMIN and USER) ends them.
	SetMemberRole(ctx context.Context, installationID, userID, role string) error
	// EndInstallationSessions ends every session of an installation.
	EndInstallationSessions(ctx context.Context, installationID string) error
}
