package installations

import (
	"context"
	"time"
)

// Rotation states of an installation's access token.
const (
	// RotationStarted: rotateInstallationCredential may have been
	// called; the token in use is still the old one.
	RotationStarted = "started"
	// RotationRotated: the new token is in use; the old one, kept
	// sealed, waits to be revoked.
	RotationRotated = "rotated"
)

// Rotation is a rotation of an installation's access token in progress.
type Rotation struct {
	InstallationID string
	State          string
	LeaseOwner     string
	LeaseUntil     time.Time
	StartedAt      time.Time
	RotatedAt      *time.Time
	Attempts       int
	LastError      string
}

// CredentialStore keeps rotations: each step is recorded before the
// next one starts, so a crash at any point resumes.
type CredentialStore interface {
	// BeginRotation records a rotation of id leased to owner until
	// leaseUntil, or takes over one whose lease ran out; a rotation
	// another owner holds, or one already rotated, is a Conflict.
	BeginRotation(ctx context.Context, id, owner string, now, leaseUntil time.Time) (Rotation, error)
	// StoreRotatedToken puts token in use for id, if owner holds the
	// started rotation and the token in use is the one it started from,
	// and keeps the old one sealed to be revoked.
	StoreRotatedToken(ctx context.Context, id, owner, token string, at time.Time) (Rotation, error)
	// AbandonRotation drops a started rotation owner holds: nothing changed.
	AbandonRotation(ctx context.Context, id, owner, reason string) error
	// Rotation returns id's rotation in progress (NotFound when none).
	Rotation(ctx context.Context, id string) (Rotation, error)
	// Rotations lists every rotation in progress.
	Rotations(ctx context.Context) ([]Rotation, error)
	// OldToken opens the superseded token of a rotated rotation.
	OldToken(ctx context.Context, id string) (string, error)
	// NoteRevokeFailure records why the old token could not be revoked yet.
	NoteRevokeFailure(ctx context.Context, id, reason string) error
	// FinishRotation wipes the old token and ends the rotation, with the
	// feed event, once; false when another run finished it first.
	FinishRotation(ctx context.Context, id string, revoked bool, at time.Time) (bool, error)
}
