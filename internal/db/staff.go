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

// Staff implements installations.StaffStore: console sessions and the
// sign-ins under way, apart from the customers' dashboard sessions.
type Staff struct{ db *DB }

// NewStaff returns the console session store.
func NewStaff(d *DB) *Staff { return &Staff{db: d} }

var _ installations.StaffStore = (*Staff)(nil)

// CreateStaffSession stores a new session under idHash.
func (s *Staff) CreateStaffSession(ctx context.Context, idHash string, se installations.StaffSession) error {
	_, err := s.db.Write(ctx, s.db.Rebind(`INSERT INTO console_sessions (id_hash, email, name, role, created_at, last_seen_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`), idHash, se.Email, se.Name, se.Role, Millis(se.CreatedAt), Millis(se.LastSeenAt), Millis(se.ExpiresAt))
	if err != nil {
		return fmt.Errorf("create console session: %w", err)
	}
	return nil
}

// GetStaffSession returns the session stored under idHash.
func (s *Staff) GetStaffSession(ctx context.Context, idHash string) (installations.StaffSession, error) {
	var r struct {
		Email      string `db:"email"`
		Name       string `db:"name"`
		Role       string `db:"role"`
		CreatedAt  int64  `db:"created_at"`
		LastSeenAt int64  `db:"last_seen_at"`
		ExpiresAt  int64  `db:"expires_at"`
	}
	err := s.db.Read.GetContext(ctx, &r, s.db.Rebind(`SELECT email, name, role, created_at, last_seen_at, expires_at
		FROM console_sessions WHERE id_hash = ?`), idHash)
	if errors.Is(err, sql.ErrNoRows) {
		return installations.StaffSession{}, apperr.ErrNotFound
	}
	if err != nil {
		return installations.StaffSession{}, fmt.Errorf("get console session: %w", err)
	}
	return installations.StaffSession{Email: r.Email, Name: r.Name, Role: r.Role, CreatedAt: FromMillis(r.CreatedAt),
		LastSeenAt: FromMillis(r.LastSeenAt), ExpiresAt: FromMillis(r.ExpiresAt)}, nil
}

// TouchStaffSession restarts the session's idle clock.
func (s *Staff) TouchStaffSession(ctx context.Context, idHash string, at time.Time) error {
	if _, err := s.db.Write(ctx, s.db.Rebind(`UPDATE console_sessions SET last_seen_at = ? WHERE id_hash = ?`), Millis(at), idHash); err != nil {
		return fmt.Errorf("touch console session: %w", err)
	}
	return nil
}

// DeleteStaffSession ends one session.
func (s *Staff) DeleteStaffSession(ctx context.Context, idHash string) error {
	if _, err := s.db.Write(ctx, s.db.Rebind(`DELETE FROM console_sessions WHERE id_hash = ?`), idHash); err != nil {
		return fmt.Errorf("delete console session: %w", err)
	}
	return nil
}

// PutStaffLogin keeps a sign-in under way until the callback takes it.
func (s *Staff) PutStaffLogin(ctx context.Context, stateHash string, l installations.StaffLogin) error {
	_, err := s.db.Write(ctx, s.db.Rebind(`INSERT INTO console_logins (state_hash, nonce, verifier, expires_at) VALUES (?, ?, ?, ?)`),
		stateHash, l.Nonce, l.Verifier, Millis(l.ExpiresAt))
	if err != nil {
		return fmt.Errorf("store console sign-in: %w", err)
	}
	return nil
}

// TakeStaffLogin deletes the sign-in and returns it; of two callbacks
// with one state, only one finds it.
func (s *Staff) TakeStaffLogin(ctx context.Context, stateHash string) (installations.StaffLogin, error) {
	var r struct {
		Nonce     string `db:"nonce"`
		Verifier  string `db:"verifier"`
		ExpiresAt int64  `db:"expires_at"`
	}
	err := s.db.Tx(ctx, func(x *sqlx.Tx) error {
		return x.GetContext(ctx, &r, x.Rebind(`DELETE FROM console_logins WHERE state_hash = ? RETURNING nonce, verifier, expires_at`), stateHash)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return installations.StaffLogin{}, apperr.ErrNotFound
	}
	if err != nil {
		return installations.StaffLogin{}, fmt.Errorf("take console sign-in: %w", err)
	}
	return installations.StaffLogin{Nonce: r.Nonce, Verifier: r.Verifier, ExpiresAt: FromMillis(r.ExpiresAt)}, nil
}

// DeleteExpiredStaff removes expired or idle sessions and expired sign-ins.
func (s *Staff) DeleteExpiredStaff(ctx context.Context, now, idleBefore time.Time) (int64, error) {
	var n int64
	err := s.db.Tx(ctx, func(x *sqlx.Tx) error {
		res, err := x.ExecContext(ctx, x.Rebind(`DELETE FROM console_sessions WHERE expires_at <= ? OR last_seen_at < ?`),
			Millis(now), Millis(idleBefore))
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		res, err = x.ExecContext(ctx, x.Rebind(`DELETE FROM console_logins WHERE expires_at <= ?`), Millis(now))
		if err != nil {
			return err
		}
		m, _ := res.RowsAffected()
		n += m
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("delete expired console sessions: %w", err)
	}
	return n, nil
}
