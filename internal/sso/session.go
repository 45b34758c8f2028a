package sso

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// Session is a signed-in dashboard member (installations.Session).
type Session = installations.Session

// ErrNoSession means the id names no live session (unknown, malformed,
// idle too long or past its absolute expiry).
var ErrNoSession = apperr.New(apperr.Unauthorized, "no_session", "no session")

// touchEvery limits last-seen writes to one per interval per session.
const touchEvery = time.Minute

// validID matches ids made by crypto/rand.Text (26 base32 characters).
var validID = regexp.MustCompile(`^[A-Z2-7]{26}$`)

// ValidID reports whether id has the shape of a session id this package
// makes; any other is no session, without a look-up.
func ValidID(id string) bool { return validID.MatchString(id) }

// Expired reports whether a session last seen at lastSeen and ending at
// expiresAt is over at now: past its absolute expiry, or idle for idle.
func Expired(now, expiresAt, lastSeen time.Time, idle time.Duration) bool {
	return !now.Before(expiresAt) || !now.Before(lastSeen.Add(idle))
}

// DueTouch reports whether a live session last seen at lastSeen gets its
// last-seen time written again at now (at most once per touchEvery).
func DueTouch(now, lastSeen time.Time) bool { return now.Sub(lastSeen) >= touchEvery }

// Sessions creates, finds and ends sessions with idle and absolute expiry.
type Sessions struct {
	Store       installations.SessionStore
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

// HashID is the stored key of a session id.
func HashID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// Create starts a new session and returns its fresh random id, the value
// of the browser's cookie.
func (m *Sessions) Create(ctx context.Context, s Session) (string, Session, error) {
	now := m.now()
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = now, now, now.Add(m.MaxAge)
	id := rand.Text()
	if err := m.Store.CreateSession(ctx, HashID(id), s); err != nil {
		return "", Session{}, fmt.Errorf("create session: %w", err)
	}
	return id, s, nil
}

// Sweep deletes expired and idle sessions. It runs on a timer (Run), not
// on a request: a sign-in never waits for a table scan.
func (m *Sessions) Sweep(ctx context.Context) (int64, error) {
	now := m.now()
	return m.Store.DeleteExpiredSessions(ctx, now, now.Add(-m.IdleTimeout))
}

// Run sweeps every interval until ctx ends.
func (m *Sessions) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			m.Sweep(ctx)
		}
	}
}

// Lookup returns the live session of id, refreshing its idle clock.
func (m *Sessions) Lookup(ctx context.Context, id string) (Session, error) {
	if !ValidID(id) {
		return Session{}, ErrNoSession
	}
	hash := HashID(id)
	s, err := m.Store.GetSession(ctx, hash)
	if apperr.KindOf(err) == apperr.NotFound {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, err
	}
	now := m.now()
	if Expired(now, s.ExpiresAt, s.LastSeenAt, m.IdleTimeout) {
		_ = m.Store.DeleteSession(ctx, hash)
		return Session{}, ErrNoSession
	}
	if DueTouch(now, s.LastSeenAt) {
		if err := m.Store.TouchSession(ctx, hash, now); err != nil {
			return Session{}, err
		}
		s.LastSeenAt = now
	}
	return s, nil
}

// End deletes the session of id; an unknown id is not an error.
func (m *Sessions) End(ctx context.Context, id string) error {
	if !ValidID(id) {
		return nil
	}
	err := m.Store.DeleteSession(ctx, HashID(id))
	if err != nil && !errors.Is(err, apperr.ErrNotFound) {
		return err
	}
	return nil
}
