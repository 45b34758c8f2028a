package staff

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/sso"
)

// Session is a signed-in member of the partner's staff.
type Session = installations.StaffSession

// ErrNoSession means the id names no live session.
var ErrNoSession = apperr.New(apperr.Unauthorized, "no_session", "no session")

// Sessions creates, finds and ends console sessions, with the customers'
// sessions' rules (sso): id shape, idle and absolute expiry, last-seen
// writes. The store keeps a hash of each id, never the id.
type Sessions struct {
	Store       installations.StaffStore
	IdleTimeout time.Duration
	MaxAge      time.Duration
	Now         func() time.Time // default time.Now
}

func (m *Sessions) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// hash is the stored key of a session id or an OAuth state, as for the
// customers' sessions.
func hash(s string) string { return sso.HashID(s) }

// Create starts a session and returns its fresh random id, the value of
// the console's cookie.
func (m *Sessions) Create(ctx context.Context, s Session) (string, error) {
	now := m.now()
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = now, now, now.Add(m.MaxAge)
	id := rand.Text()
	if err := m.Store.CreateStaffSession(ctx, hash(id), s); err != nil {
		return "", fmt.Errorf("create console session: %w", err)
	}
	return id, nil
}

// Lookup returns the live session of id, refreshing its idle clock.
func (m *Sessions) Lookup(ctx context.Context, id string) (Session, error) {
	if !sso.ValidID(id) {
		return Session{}, ErrNoSession
	}
	h := hash(id)
	s, err := m.Store.GetStaffSession(ctx, h)
	if apperr.KindOf(err) == apperr.NotFound {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, err
	}
	now := m.now()
	if sso.Expired(now, s.ExpiresAt, s.LastSeenAt, m.IdleTimeout) {
		_ = m.Store.DeleteStaffSession(ctx, h)
		return Session{}, ErrNoSession
	}
	if sso.DueTouch(now, s.LastSeenAt) {
		if err := m.Store.TouchStaffSession(ctx, h, now); err != nil {
			return Session{}, err
		}
		s.LastSeenAt = now
	}
	return s, nil
}

// End deletes the session of id; an unknown id is not an error.
func (m *Sessions) End(ctx context.Context, id string) error {
	if !sso.ValidID(id) {
		return nil
	}
	err := m.Store.DeleteStaffSession(ctx, hash(id))
	if err != nil && !errors.Is(err, apperr.ErrNotFound) {
		return err
	}
	return nil
}

// Run deletes expired sessions and sign-ins every interval until ctx ends.
func (m *Sessions) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			now := m.now()
			m.Store.DeleteExpiredStaff(ctx, now, now.Add(-m.IdleTimeout))
		}
	}
}
