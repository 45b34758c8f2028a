package db_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/db/dbtest"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// held is a transaction that appended events and stays open until it is
// released; it then commits, or rolls back with rollback set.
type held struct {
	release chan bool // true: roll back
	done    chan error
}

// hold starts a transaction on d that appends one event per subject and
// returns once they are written, still uncommitted.
func hold(t *testing.T, d *db.DB, subjects ...string) *held {
	t.Helper()
	return holdWith(t, d, func(tx installations.Tx) error {
		for _, s := range subjects {
			if err := tx.AppendEvent(context.Background(), installations.NewEvent{Type: "test", Subject: s}); err != nil {
				return err
			}
		}
		return nil
	})
}

// holdWith starts a transaction on d that runs write and returns once it
// ran, the transaction still open.
func holdWith(t *testing.T, d *db.DB, write func(installations.Tx) error) *held {
	t.Helper()
	h := &held{release: make(chan bool), done: make(chan error, 1)}
	written := make(chan struct{})
	go func() {
		h.done <- d.InTx(context.Background(), func(tx installations.Tx) error {
			err := write(tx)
			close(written)
			if err != nil {
				return err
			}
			if <-h.release {
				return errRollback
			}
			return nil
		})
	}()
	<-written
	t.Cleanup(func() {
		select {
		case h.release <- true:
		default:
		}
	})
	return h
}

// end commits (or rolls back) the held transaction and waits for it.
func (h *held) end(t *testing.T, rollback bool) {
	t.Helper()
	h.release <- rollback
	if err := <-h.done; err != nil && !rollback {
		t.Fatal(err)
	}
}

func subjects(evs []installations.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Subject
	}
	return out
}

func read(t *testing.T, s *db.Events, after int64) ([]string, int64) {
	t.Helper()
	evs, err := s.EventsAfter(t.Context(), after, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) > 0 {
		after = evs[len(evs)-1].ID
	}
	return subjects(evs), after
}

// A transaction that began writing first and commits last: its events are
// held back until it ends, then come before those committed meanwhile.
// Nothing is skipped, nothing repeats, and a rolled-back event never shows.
func TestFeedHoldsBackALateCommit(t *testing.T) {
	t.Parallel()
	d := dbtest.Postgres(t)
	s := db.NewEvents(d)
	s.SetWait(10 * time.Second) // other tests' transactions may hold the feed back for a moment
	if err := d.InTx(t.Context(), func(tx installations.Tx) error {
		return tx.AppendEvent(t.Context(), installations.NewEvent{Type: "test", Subject: "first"})
	}); err != nil {
		t.Fatal(err)
	}
	got, cursor := read(t, s, 0)
	if fmt.Sprint(got) != "[first]" {
		t.Fatalf("read %v, want [first]", got)
	}

	slow := hold(t, d, "slow-1", "slow-2")
	undone := hold(t, d, "undone")
	fast := hold(t, d, "fast")
	fast.end(t, false)
	undone.end(t, true)
	s.SetWait(0)
	if got, c := read(t, s, cursor); len(got) != 0 || c != cursor {
		t.Fatalf("read %v while an older transaction is open, want nothing", got)
	}
	s.SetWait(10 * time.Second)

	slow.end(t, false)
	got, cursor = read(t, s, cursor)
	if fmt.Sprint(got) != "[slow-1 slow-2 fast]" {
		t.Fatalf("read %v, want [slow-1 slow-2 fast]", got)
	}
	if got, _ := read(t, s, cursor); len(got) != 0 {
		t.Fatalf("read %v again", got)
	}
}

// A read returns what had committed when it began: it waits for the
// older transaction that holds it back.
func TestFeedReadWaitsForOlderTransactions(t *testing.T) {
	t.Parallel()
	d := dbtest.Postgres(t)
	slow := hold(t, d, "slow")
	fast := hold(t, d, "fast")
	fast.end(t, false)
	res := make(chan []string, 1)
	go func() {
		s := db.NewEvents(d)
		s.SetWait(10 * time.Second)
		evs, err := s.EventsAfter(context.Background(), 0, 100)
		if err != nil {
			t.Error(err)
		}
		res <- subjects(evs)
	}()
	slow.end(t, false)
	if got := <-res; fmt.Sprint(got) != "[slow fast]" {
		t.Errorf("read %v, want [slow fast]", got)
	}
}

// Writers on several handles (replicas), with pauses inside their
// transactions and some rolled back, against a reader that never waits:
// the reader sees every committed event exactly once, each transaction's
// events together and in order, and no rolled-back one.
func TestFeedInterleavedWritersNeverSkip(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		d := dbtest.SQLite(t)
		testInterleaved(t, func() *db.DB { return d })
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := dbtest.PostgresDSN(t)
		testInterleaved(t, func() *db.DB { return open(t, "postgres", dsn) })
	})
}

func testInterleaved(t *testing.T, replica func() *db.DB) {
	const writers, each = 4, 30
	reader := db.NewEvents(replica())
	reader.SetWait(0)
	var (
		mu        sync.Mutex
		committed = map[string]bool{}
		wg        sync.WaitGroup
	)
	for w := range writers {
		d := replica()
		wg.Go(func() {
			for i := range each {
				undo := i%7 == 3
				n := 1 + i%3
				err := d.InTx(context.Background(), func(tx installations.Tx) error {
					for k := range n {
						s := fmt.Sprintf("w%d-t%d-e%d", w, i, k)
						if err := tx.AppendEvent(context.Background(), installations.NewEvent{Type: "test", Subject: s}); err != nil {
							return err
						}
						time.Sleep(time.Duration(rand.IntN(500)) * time.Microsecond)
					}
					if undo {
						return errRollback
					}
					return nil
				})
				if err != nil && !errors.Is(err, errRollback) {
					t.Error(err)
					return
				}
				if !undo {
					mu.Lock()
					for k := range n {
						committed[fmt.Sprintf("w%d-t%d-e%d", w, i, k)] = true
					}
					mu.Unlock()
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	var (
		seen   []string
		cursor int64
	)
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true // one more read, which waits, sees the rest
			reader.SetWait(10 * time.Second)
		default:
		}
		got, c := read(t, reader, cursor)
		seen, cursor = append(seen, got...), c
	}
	for more := true; more; {
		got, c := read(t, reader, cursor)
		seen, cursor, more = append(seen, got...), c, len(got) > 0
	}
	checkFeed(t, seen, committed)
}

var errRollback = errors.New("rolled back on purpose")

// checkFeed: every committed event once, none other, and each
// transaction's events consecutive and in order.
func checkFeed(t *testing.T, seen []string, committed map[string]bool) {
	t.Helper()
	once := map[string]bool{}
	for i, s := range seen {
		if once[s] {
			t.Errorf("event %s read twice", s)
		}
		once[s] = true
		if !committed[s] {
			t.Errorf("event %s read but not committed", s)
		}
		var w, tr, k int
		fmt.Sscanf(s, "w%d-t%d-e%d", &w, &tr, &k)
		if k > 0 && (i == 0 || seen[i-1] != fmt.Sprintf("w%d-t%d-e%d", w, tr, k-1)) {
			t.Errorf("event %s does not follow its transaction's previous one", s)
		}
	}
	for s := range committed {
		if !once[s] {
			t.Errorf("committed event %s was skipped", s)
		}
	}
}

// Events written before migration 0100 keep their ids and come first, so
// a cursor handed out before the upgrade still works; a cursor that names
// no event is refused.
func TestFeedMigrationKeepsOldCursors(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dsn := dbtest.PostgresDSN(t)
	x, err := sqlx.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	old := &db.DB{DB: x, Read: x, Driver: "postgres"}
	if err := old.MigrateFS(ctx, upTo(t, 99)); err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(`INSERT INTO events (id, type, installation_id, subject, data, created_at) VALUES
		(5, 'test', '', 'old-5', '{}', 10), (7, 'test', '', 'old-7', '{}', 11), (9, 'test', '', 'old-9', '{}', 12)`); err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(`UPDATE counters SET value = 9 WHERE name = 'events'`); err != nil {
		t.Fatal(err)
	}
	d := open(t, "postgres", dsn)
	if err := d.InTx(ctx, func(tx installations.Tx) error {
		return tx.AppendEvent(ctx, installations.NewEvent{Type: "test", Subject: "new"})
	}); err != nil {
		t.Fatal(err)
	}
	s := db.NewEvents(d)
	evs, err := s.EventsAfter(ctx, 7, 10)
	if err != nil || fmt.Sprint(subjects(evs)) != "[old-9 new]" || evs[1].ID != 10 {
		t.Fatalf("after the old cursor 7: %+v %v, want old-9 and new (id 10)", evs, err)
	}
	for _, bad := range []int64{8, 11} {
		if _, err := s.EventsAfter(ctx, bad, 10); apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("cursor %d names no event: %v, want Invalid", bad, err)
		}
	}
}

// A replica migrating at start-up holds its transaction for as long as the
// migrations take; the feed does not wait for it (migrations never append
// to the feed), as it waits for any other open transaction.
func TestFeedDoesNotWaitForAMigration(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	d := dbtest.Postgres(t)
	s := db.NewEvents(d)
	s.SetWait(0)
	migrating, err := d.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer migrating.Rollback()
	// Released at once: other tests' migrations wait for this lock.
	if _, err := migrating.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7346617001)`); err != nil {
		t.Fatal(err)
	}
	if _, err := migrating.ExecContext(ctx, `CREATE TABLE migrating_now (id INTEGER)`); err != nil {
		t.Fatal(err)
	}
	if err := d.InTx(ctx, func(tx installations.Tx) error {
		return tx.AppendEvent(ctx, installations.NewEvent{Type: "test", Subject: "after the migration began"})
	}); err != nil {
		t.Fatal(err)
	}
	got, _ := readAll(t, s)
	migrating.Rollback()
	if fmt.Sprint(got) != "[after the migration began]" {
		t.Errorf("read %v while a migration is open, want the event", got)
	}
}

// Advisory locks with any key, such as ordering keys' hashes whose high
// bit is set, may be held while the feed is read: the read is not thrown
// by them.
func TestFeedReadsBesideAnyAdvisoryLock(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	d := dbtest.Postgres(t)
	s := db.NewEvents(d)
	s.SetWait(0)
	holding, err := d.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer holding.Rollback()
	// A transaction id of its own, as a writer holding an ordering key's
	// lock has; the writes below commit after it, so readers see it in
	// progress and look at its locks.
	if _, err := holding.ExecContext(ctx, `SELECT pg_current_xact_id()`); err != nil {
		t.Fatal(err)
	}
	for _, key := range []int64{-1, -7346617001, 1 << 62} {
		if _, err := holding.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, key); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.InTx(ctx, func(tx installations.Tx) error {
		return tx.AppendEvent(ctx, installations.NewEvent{Type: "test", Subject: "one"})
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.NewAudit(d).AppendAudit(ctx, installations.AuditEntry{At: time.Now(), Actor: "a", Action: "one"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EventsAfter(ctx, 0, 10); err != nil {
		t.Fatalf("read beside advisory locks: %v", err)
	}
	audit := db.NewAudit(d)
	audit.SetWait(0)
	if _, err := audit.AuditAfter(ctx, 0, 10); err != nil {
		t.Fatalf("audit read beside advisory locks: %v", err)
	}
}

// readAll reads the feed from the start, retrying while other tests'
// transactions (on the same PostgreSQL server) hold the event back.
func readAll(t *testing.T, s *db.Events) ([]string, int64) {
	t.Helper()
	for range 200 {
		if got, c := read(t, s, 0); len(got) > 0 {
			return got, c
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil, 0
}
