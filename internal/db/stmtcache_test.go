package db_test

import (
	"testing"

	"github.com/vercel-partner/partner-server/internal/db/dbtest"
)

func TestCachedStatementIsNotReusedWhileItsRowsAreOpen(t *testing.T) {
	d := dbtest.SQLite(t)
	ctx := t.Context()
	conn, err := d.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, v := range []int{1, 2, 3} {
		if _, err := conn.ExecContext(ctx, `INSERT INTO counters (name, value) VALUES (?, ?)`, "c"+string(rune('0'+v)), v); err != nil {
			t.Fatal(err)
		}
	}
	const q = `SELECT value FROM counters WHERE name LIKE 'c%' ORDER BY value`
	outer, err := conn.QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	sum := 0
	for outer.Next() {
		var v int
		outer.Scan(&v)
		inner, err := conn.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for inner.Next() {
			n++
		}
		inner.Close()
		if n != 3 {
			t.Fatalf("inner query saw %d rows", n)
		}
		sum += v
	}
	outer.Close()
	if sum != 6 {
		t.Errorf("outer query summed %d, want 6", sum)
	}
	for range 3 { // the statement is reusable once its rows are closed
		var n int
		if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM counters WHERE value > ?`, 1).Scan(&n); err != nil || n != 2 {
			t.Fatalf("reuse: %d %v", n, err)
		}
	}
}
