package db_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/vercel-partner/partner-server/internal/vault"

	"github.com/jmoiron/sqlx"

	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/db/dbtest"
)

// groupTable makes a table for the group-commit tests.
func groupTable(t testing.TB, d *db.DB) {
	t.Helper()
	if _, err := d.Write(context.Background(), `CREATE TABLE g (k TEXT PRIMARY KEY, v INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
}

func count(t testing.TB, d *db.DB, q string) int {
	t.Helper()
	var n int
	if err := d.Read.Get(&n, q); err != nil {
		t.Fatal(err)
	}
	return n
}

// Concurrent transactions share commits, yet each one's failure undoes
// only its own writes, and each caller sees its own outcome.
func TestGroupCommitKeepsEachTransactionItsOwn(t *testing.T) {
	d := dbtest.SQLite(t)
	groupTable(t, d)
	const n = 200
	errBoom := errors.New("boom")
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = d.Tx(context.Background(), func(x *sqlx.Tx) error {
				if _, err := x.Exec(`INSERT INTO g (k, v) VALUES (?, ?)`, fmt.Sprint("a", i), i); err != nil {
					return err
				}
				if _, err := x.Exec(`INSERT INTO g (k, v) VALUES (?, ?)`, fmt.Sprint("b", i), i); err != nil {
					return err
				}
				if i%3 == 0 {
					return errBoom // both rows of this one must go
				}
				if i%7 == 0 { // a constraint failure inside, handled by the caller
					_, err := x.Exec(`INSERT INTO g (k, v) VALUES (?, ?)`, fmt.Sprint("a", i), i)
					if err == nil {
						return errors.New("duplicate key accepted")
					}
				}
				return nil
			})
		})
	}
	wg.Wait()
	want := 0
	for i, err := range errs {
		switch {
		case i%3 == 0 && !errors.Is(err, errBoom):
			t.Errorf("tx %d: err %v, want boom", i, err)
		case i%3 != 0 && err != nil:
			t.Errorf("tx %d: %v", i, err)
		case i%3 != 0:
			want += 2
		}
	}
	if got := count(t, d, `SELECT COUNT(*) FROM g`); got != want {
		t.Fatalf("%d rows committed, want %d", got, want)
	}
	if got := count(t, d, `SELECT COUNT(*) FROM g WHERE v % 3 = 0`); got != 0 {
		t.Fatalf("%d rows of failed transactions committed", got)
	}
}

// A panic inside a transaction reaches its own caller, and the others in
// the same commit are unharmed.
func TestGroupCommitHandsAPanicBack(t *testing.T) {
	d := dbtest.SQLite(t)
	groupTable(t, d)
	var wg sync.WaitGroup
	var panics atomic.Int32
	for i := range 40 {
		wg.Go(func() {
			defer func() {
				if recover() != nil {
					panics.Add(1)
				}
			}()
			d.Tx(context.Background(), func(x *sqlx.Tx) error {
				if _, err := x.Exec(`INSERT INTO g (k, v) VALUES (?, ?)`, fmt.Sprint(i), i); err != nil {
					return err
				}
				if i%10 == 0 {
					panic("bad")
				}
				return nil
			})
		})
	}
	wg.Wait()
	if panics.Load() != 4 {
		t.Fatalf("%d panics reached their callers, want 4", panics.Load())
	}
	if got := count(t, d, `SELECT COUNT(*) FROM g`); got != 36 {
		t.Fatalf("%d rows, want 36", got)
	}
}

// A caller whose context ends does not start; callers that go away while
// their statements run never fail the others sharing their commit.
func TestGroupCommitWithCancelledCallers(t *testing.T) {
	d := dbtest.SQLite(t)
	groupTable(t, d)
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if err := d.Tx(done, func(*sqlx.Tx) error { t.Error("ran a cancelled transaction"); return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	// Each writes 1,000 rows in one statement, long enough for a
	// cancellation to land while it runs.
	const bulk = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
		INSERT INTO g (k, v) SELECT ? || '-' || i, ? FROM n`
	var wg sync.WaitGroup
	var committed atomic.Int32
	errs := make([]error, 40)
	for i := range errs {
		wg.Go(func() {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			errs[i] = d.Tx(ctx, func(x *sqlx.Tx) error {
				if i%2 == 0 {
					go cancel() // the caller goes away while its statement runs
				}
				_, err := x.ExecContext(ctx, bulk, fmt.Sprint(i), i)
				return err
			})
			if errs[i] == nil {
				committed.Add(1)
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if i%2 == 1 && err != nil {
			t.Errorf("tx %d, never cancelled, failed: %v", i, err)
		}
	}
	if got := count(t, d, `SELECT COUNT(*) FROM g`); got != 1000*int(committed.Load()) {
		t.Fatalf("%d rows for %d committed transactions", got, committed.Load())
	}
}

// After Close, writes fail instead of hanging.
func TestGroupCommitAfterClose(t *testing.T) {
	d := dbtest.SQLite(t)
	d.Close()
	if err := d.Tx(context.Background(), func(*sqlx.Tx) error { return nil }); err == nil {
		t.Fatal("a transaction after Close succeeded")
	}
}

// BenchmarkParallelUpserts is the installation upsert's storage cost with
// 16 writers at once, the shape of the verified PUT under load.
func BenchmarkParallelUpserts(b *testing.B) {
	d := dbtest.SQLite(b)
	v, _ := vault.New(make([]byte, 32))
	s := db.NewInstallations(d, v)
	var seq atomic.Int64
	b.SetParallelism(8)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			u := upsert
			u.ID = fmt.Sprint("icfg_", seq.Add(1)%1000)
			if _, err := s.Upsert(context.Background(), u); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
