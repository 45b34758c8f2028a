package installations

import (
	"context"
	"time"
)

// Staff roles in the console: operators act, viewers only look.
const (
	StaffOperator = "operator"
	StaffViewer   = "viewer"
)

// StaffSession is a person of the partner's signed in to the staff
// console. It is keyed by a hash of the random id the browser holds.
type StaffSession struct {
	Email      string
	Name       string
	Role       string // StaffOperator or StaffViewer
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // absolute expiry; idle expiry is LastSeenAt + idle timeout
}

// CanAct reports whether the session may change anything.
func (s StaffSession) CanAct() bool { return s.Role == StaffOperator }

// StaffLogin is a staff sign-in under way: what the callback needs to
// finish it, kept under a hash of its OAuth state.
type StaffLogin struct {
	Nonce     string
	Verifier  string // the PKCE code verifier
	ExpiresAt time.Time
}

// StaffStore keeps console sessions and sign-ins under way. Get and Take
// answer an apperr NotFound error for an unknown hash.
type StaffStore interface {
	CreateStaffSession(ctx context.Context, idHash string, s StaffSession) error
	GetStaffSession(ctx context.Context, idHash string) (StaffSession, error)
	TouchStaffSession(ctx context.Context, idHash string, at time.Time) error
	DeleteStaffSession(ctx context.Context, idHash string) error
	PutStaffLogin(ctx context.Context, stateHash string, l StaffLogin) error
	// TakeStaffLogin deletes the sign-in and returns it: a state is used
	// once.
	TakeStaffLogin(ctx context.Context, stateHash string) (StaffLogin, error)
	// DeleteExpiredStaff removes sessions past expiry or idle since
	// idleBefore, and sign-ins past expiry.
	DeleteExpiredStaff(ctx context.Context, now, idleBefore time.Time) (int64, error)
}
