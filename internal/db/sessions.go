package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// Sessions implements installations.SessionStore: dashboard sessions keyed by id hash.
type Sessions struct {
	db *DB
}

// NewSessions returns the session store.
func NewSessions(d *DB) *Sessions { return &Sessions{db: d} }

type sessionRow struct {
	InstallationID string `db:"installation_id"`
	UserID         string `db:"user_id"`
	UserName       string `db:"user_name"`
	UserEmail      string `db:"user_email"`
	AvatarURL      string `db:"avatar_url"`
	Role           string `db:"role"`
	CreatedAt      int64  `db:"created_at"`
	LastSeenAt     int64  `db:"last_seen_at"`
	ExpiresAt      int64  `db:"expires_at"`
}

const sessionCols = `installation_id, user_id, user_name, user_email, avatar_url, role, created_at, last_seen_at, expires_at`

// CreateSession stores a new session under idHash.
func (s *Sessions) CreateSession(ctx context.Context, idHash string, se installations.Session) error {
	q := s.db.Rebind(`INSERT INTO sessions (id_hash, ` + sessionCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	_, err := s.db.Write(ctx, q, idHash, se.InstallationID, se.UserID, se.Name, se.Email, se.AvatarURL, se.Role,
		Millis(se.CreatedAt), Millis(se.LastSeenAt), Millis(se.ExpiresAt))
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// GetSession returns the session stored under idHash.
func (s *Sessions) GetSession(ctx context.Context, idHash string) (installations.Session, error) {
	var r sessionRow
	err := s.db.Read.GetContext(ctx, &r, s.db.Rebind(`SELECT `+sessionCols+` FROM sessions WHERE id_hash = ?`), idHash)
	if errors.Is(err, sql.ErrNoRows) {
		return installations.Session{}, apperr.ErrNotFound
	}
	if err != nil {
		return installations.Session{}, fmt.Errorf("get session: %w", err)
	}
	return installations.Session{
		InstallationID: r.InstallationID, UserID: r.UserID, Name: r.UserName, Email: r.UserEmail,
		AvatarURL: r.AvatarURL, Role: r.Role, CreatedAt: FromMillis(r.CreatedAt),
		LastSeenAt: FromMillis(r.LastSeenAt), ExpiresAt: FromMillis(r.ExpiresAt),
	}, nil
}

// TouchSession records activity, restarting the idle clock.
func (s *Sessions) TouchSession(ctx context.Context, idHash string, at time.Time) error {
	_, err := s.db.Write(ctx, s.db.Rebind(`UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?`), Millis(at), idHash)
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// DeleteSession ends one session.
func (s *Sessions) DeleteSession(ctx context.Context, idHash string) error {
	if _, err := s.db.Write(ctx, s.db.Rebind(`DELETE FROM sessions WHERE id_hash = ?`), idHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes sessions past expiry or idle since idleBefore.
func (s *Sessions) DeleteExpiredSessions(ctx context.Context, now, idleBefore time.Time) (int64, error) {
	res, err := s.db.Write(ctx, s.db.Rebind(`DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at < ?`),
		Millis(now), Millis(idleBefore))
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return res.RowsAffected()
}

// SetMemberRole updates the role of a member's sessions (after a
// marketplace.member.changed webhook); role NONE ends them.
func (s *Sessions) SetMemberRole(ctx context.Context, installationID, userID, role string) error {
	return setMemberRole(ctx, s.db.DB, installationID, userID, role)
}

func setMemberRole(ctx context.Context, x sqlx.ExtContext, installationID, userID, role string) error {
	var err error
	if role == installations.RoleAdmin || role == installations.RoleUser {
		_, err = x.ExecContext(ctx, x.Rebind(`UPDATE sessions SET role = ? WHERE installation_id = ? AND user_id = ?`),
			role, installationID, userID)
	} else {
		_, err = x.ExecContext(ctx, x.Rebind(`DELETE FROM sessions WHERE installation_id = ? AND user_id = ?`),
			installationID, userID)
	}
	if err != nil {
		return fmt.Errorf("set member role: %w", err)
	}
	return nil
}

// EndInstallationSessions ends every session of an installation.
func (s *Sessions) EndInstallationSessions(ctx context.Context, installationID string) error {
	return endInstallationSessions(ctx, s.db.DB, installationID)
}

func endInstallationSessions(ctx context.Context, x sqlx.ExtContext, installationID string) error {
	if _, err := x.ExecContext(ctx, x.Rebind(`DELETE FROM sessions WHERE installation_id = ?`), installationID); err != nil {
		return fmt.Errorf("end installation sessions: %w", err)
	}
	return nil
}
