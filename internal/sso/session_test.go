package sso_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/sso"
)

func newSessions(t *testing.T) (*sso.Sessions, *time.Time) {
	t.Helper()
	d, err := db.Open(context.Background(), "sqlite", filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	return &sso.Sessions{Store: db.NewSessions(d), IdleTimeout: 30 * time.Minute, MaxAge: 2 * time.Hour,
		Now: func() time.Time { return now }}, &now
}

var member = sso.Session{InstallationID: "icfg_1", UserID: "u1", Name: "Ada", Email: "ada@acme.dev", Role: sso.RoleAdmin}

func TestSessionIdleExpiry(t *testing.T) {
	t.Parallel()
	m, now := newSessions(t)
	ctx := t.Context()
	id, _, err := m.Create(ctx, member)
	if err != nil {
		t.Fatal(err)
	}
	if len(id) != 26 {
		t.Fatalf("id %q", id)
	}
	// Activity every 20 minutes keeps it alive past one idle timeout...
	for range 4 {
		*now = now.Add(20 * time.Minute)
		s, err := m.Lookup(ctx, id)
		if err != nil {
			t.Fatalf("lookup after activity: %v", err)
		}
		if s.UserID != "u1" || s.Role != sso.RoleAdmin || s.Name != "Ada" {
			t.Fatalf("session %+v", s)
		}
	}
	// ...but 31 idle minutes end it.
	*now = now.Add(31 * time.Minute)
	if _, err := m.Lookup(ctx, id); err != sso.ErrNoSession {
		t.Fatalf("idle session: %v", err)
	}
}

func TestSessionAbsoluteExpiry(t *testing.T) {
	t.Parallel()
	m, now := newSessions(t)
	ctx := t.Context()
	id, _, err := m.Create(ctx, member)
	if err != nil {
		t.Fatal(err)
	}
	for elapsed := time.Duration(0); elapsed < 2*time.Hour-10*time.Minute; elapsed += 10 * time.Minute {
		*now = now.Add(10 * time.Minute)
		if _, err := m.Lookup(ctx, id); err != nil {
			t.Fatalf("at %v: %v", elapsed, err)
		}
	}
	*now = now.Add(10 * time.Minute) // two hours since sign-in, though active
	if _, err := m.Lookup(ctx, id); err != sso.ErrNoSession {
		t.Fatalf("past max age: %v", err)
	}
}

func TestSessionLookupRefusesJunk(t *testing.T) {
	t.Parallel()
	m, _ := newSessions(t)
	ctx := t.Context()
	id, _, _ := m.Create(ctx, member)
	for _, bad := range []string{"", "x", id + "A", id[:25], sso.HashID(id), "AAAAAAAAAAAAAAAAAAAAAAAAAA", "aaaaaaaaaaaaaaaaaaaaaaaaaa"} {
		if _, err := m.Lookup(ctx, bad); err != sso.ErrNoSession {
			t.Fatalf("Lookup(%q) = %v", bad, err)
		}
	}
	if err := m.End(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Lookup(ctx, id); err != sso.ErrNoSession {
		t.Fatalf("ended session: %v", err)
	}
	if err := m.End(ctx, id); err != nil {
		t.Fatalf("ending twice: %v", err)
	}
}

func TestSessionsEachSignInNewID(t *testing.T) {
	t.Parallel()
	m, _ := newSessions(t)
	seen := map[string]bool{}
	for range 50 {
		id, _, err := m.Create(t.Context(), member)
		if err != nil || seen[id] {
			t.Fatalf("id %q repeated or err %v", id, err)
		}
		seen[id] = true
	}
}

func TestSessionSweepAndRoleChange(t *testing.T) {
	t.Parallel()
	d, err := db.Open(context.Background(), "sqlite", filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	store := db.NewSessions(d)
	now := time.Now()
	m := &sso.Sessions{Store: store, IdleTimeout: time.Hour, MaxAge: 2 * time.Hour, Now: func() time.Time { return now }}
	old, _, _ := m.Create(t.Context(), member)
	now = now.Add(3 * time.Hour)
	fresh, _, _ := m.Create(t.Context(), member)
	if swept, err := m.Sweep(t.Context()); err != nil || swept != 1 {
		t.Fatalf("sweep: %d %v, want the expired one", swept, err)
	}
	var n int
	d.Get(&n, `SELECT COUNT(*) FROM sessions`)
	if n != 1 {
		t.Fatalf("sessions after sweep: %d", n)
	}
	if _, err := m.Lookup(t.Context(), old); err != sso.ErrNoSession {
		t.Fatal("expired session alive")
	}
	if err := store.SetMemberRole(t.Context(), "icfg_1", "u1", sso.RoleUser); err != nil {
		t.Fatal(err)
	}
	if s, err := m.Lookup(t.Context(), fresh); err != nil || s.Role != sso.RoleUser {
		t.Fatalf("after role change: %+v %v", s, err)
	}
	store.SetMemberRole(t.Context(), "icfg_1", "u1", "NONE")
	if _, err := m.Lookup(t.Context(), fresh); err != sso.ErrNoSession {
		t.Fatal("removed member keeps a session")
	}
}
