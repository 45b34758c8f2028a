package db_test

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// Rows written before migration 0012, numbered by the counters, keep
// their numbers; new rows are numbered above them.
func TestRowidMigrationKeepsRows(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "old.db")
	x, err := sqlx.Open("sqlite", db.SQLiteDSN(path))
	if err != nil {
		t.Fatal(err)
	}
	x.SetMaxOpenConns(1)
	old := &db.DB{DB: x, Read: x, Driver: "sqlite"}
	if err := old.MigrateFS(ctx, upTo(t, 11)); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO installations (id, scopes, accepted_policies, account_url, contact_email, status, created_at, updated_at)
			VALUES ('icfg_1', '[]', '{}', 'https://vercel.com/a', 'a@b.c', 'active', 1, 1)`,
		`INSERT INTO events (id, type, installation_id, subject, data, created_at) VALUES
			(5, 'installation.created', 'icfg_1', 'icfg_1', '{"a":1}', 10),
			(7, 'resource.created', 'icfg_1', 'r1', '{}', 11),
			(9, 'installation.updated', '', '', '{"b":2}', 12)`,
		`UPDATE counters SET value = 9 WHERE name = 'events'`,
		`INSERT INTO deliveries (id, seq, installation_id, operation, target, order_key, body, body_key_id, idem_key,
			request_hash, status, attempts, next_attempt_at, lease_owner, lease_until, last_error, result_status, result,
			created_at, updated_at, finished_at, leases, repeats) VALUES
			('dlv_a', 3, 'icfg_1', 'op', 't', 'k1', '{"x":1}', 'key1', 'idem_a', 'h', 'delivered', 2, 20, '', 0, 'boom', 200, '{}', 20, 21, 22, 2, 1),
			('dlv_b', 6, 'icfg_1', 'op', '', 'k2', '{}', '', NULL, '', 'pending', 0, 20, '', 0, '', 0, '', 23, 23, NULL, 0, 0),
			('dlv_c', 8, 'icfg_1', 'op', '', 'k2', '{}', '', 'idem_c', '', 'pending', 0, 20, '', 0, '', 0, '', 24, 24, NULL, 0, 0)`,
		`UPDATE counters SET value = 8 WHERE name = 'deliveries'`,
	} {
		if _, err := x.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	before := dump(t, x)
	x.Close()

	d, err := db.Open(ctx, "sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if after := dump(t, d.DB); !reflect.DeepEqual(after, before) {
		t.Errorf("rows after the migration:\n%v\nbefore:\n%v", after, before)
	}
	var indexes []string
	if err := d.Select(&indexes, `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('events', 'deliveries') ORDER BY name`); err != nil {
		t.Fatal(err)
	}
	if want := []string{"deliveries_heads", "deliveries_idem", "deliveries_installation", "deliveries_pending", "sqlite_autoindex_deliveries_1"}; !slices.Equal(indexes, want) {
		t.Errorf("indexes %q, want %q", indexes, want)
	}
	var problems []string
	if err := d.Select(&problems, `SELECT "table" FROM pragma_foreign_key_check`); err != nil || len(problems) > 0 {
		t.Errorf("foreign key check: %q %v", problems, err)
	}

	if _, err := db.NewInstallations(d, newVault(t)).Upsert(ctx, upsert); err != nil {
		t.Fatal(err)
	}
	evs, err := db.NewEvents(d).EventsAfter(ctx, 7, 10)
	if err != nil || len(evs) != 2 || evs[0].ID != 9 || evs[1].ID != 10 || evs[1].Type != installations.EventInstallationUpdated {
		t.Errorf("events after 7: %+v %v", evs, err)
	}

	s := db.NewDeliveries(d)
	now := time.Now()
	again, leased, err := s.InsertDelivery(ctx, installations.Delivery{ID: "dlv_again", InstallationID: "icfg_1",
		OrderKey: "k9", IdemKey: "idem_c", CreatedAt: now, NextAttemptAt: now}, "req", now.Add(time.Minute), nil)
	if err != nil || again.ID != "dlv_c" || again.Seq != 8 || leased {
		t.Errorf("a repeated idempotency key: %+v leased %v %v, want dlv_c", again, leased, err)
	}
	added, leased, err := s.InsertDelivery(ctx, installations.Delivery{ID: "dlv_d", InstallationID: "icfg_1",
		OrderKey: "k2", CreatedAt: now, NextAttemptAt: now}, "req", now.Add(time.Minute), nil)
	if err != nil || added.Seq != 9 || leased {
		t.Errorf("new delivery behind dlv_b: seq %d leased %v %v, want seq 9 not leased", added.Seq, leased, err)
	}
	if got, err := s.GetDelivery(ctx, "dlv_d"); err != nil || got.Seq != 9 {
		t.Errorf("stored seq %d %v", got.Seq, err)
	}
	claimed, err := s.ClaimDeliveries(ctx, "w", now, now.Add(time.Minute), 10)
	if err != nil || len(claimed) != 1 || claimed[0].ID != "dlv_b" {
		t.Errorf("claimed %+v %v, want dlv_b, the head of k2", claimed, err)
	}
	if _, err := d.Exec(`INSERT INTO deliveries (id, installation_id, operation, order_key, body, status, next_attempt_at,
		created_at, updated_at) VALUES ('dlv_x', 'icfg_unknown', 'op', 'k', '{}', 'pending', 0, 0, 0)`); err == nil {
		t.Error("a delivery for an unknown installation was stored")
	}
	if _, err := d.Exec(`INSERT INTO deliveries (id, installation_id, operation, order_key, body, status, next_attempt_at,
		created_at, updated_at, idem_key) VALUES ('dlv_y', 'icfg_1', 'op', 'k', '{}', 'pending', 0, 0, 0, 'idem_a')`); err == nil {
		t.Error("a second delivery with idem_a was stored")
	}
}

// dump reads every event and delivery, every column.
func dump(t *testing.T, x *sqlx.DB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, q := range []string{
		`SELECT id, type, installation_id, subject, data, created_at FROM events ORDER BY id`,
		`SELECT id, seq, installation_id, operation, target, order_key, body, body_key_id, idem_key, request_hash,
			status, attempts, next_attempt_at, lease_owner, lease_until, last_error, result_status, result,
			created_at, updated_at, finished_at, leases, repeats FROM deliveries ORDER BY seq`,
	} {
		rows, err := x.Queryx(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			m := map[string]any{}
			if err := rows.MapScan(m); err != nil {
				t.Fatal(err)
			}
			out = append(out, m)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// On SQLite, writers on several handles number events 1, 2, 3, ... in
// commit order: a reader following the feed never sees a number before
// every smaller one. (PostgreSQL orders its feed by transaction instead:
// TestFeedInterleavedWritersNeverSkip.)
func TestEventNumbersFollowCommits(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "e.db")
	testEventNumbers(t, func() *db.DB { return open(t, "sqlite", path) })
}

func testEventNumbers(t *testing.T, replica func() *db.DB) {
	const writers, each = 4, 25
	ctx := context.Background()
	reader := db.NewEvents(replica())
	var wg sync.WaitGroup
	for w := range writers {
		s := db.NewInstallations(replica(), newVault(t))
		wg.Go(func() {
			for i := range each {
				u := upsert
				u.ID = fmt.Sprintf("icfg_%d_%d", w, i)
				if _, err := s.Upsert(ctx, u); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	var last int64
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true // one more read sees the rest
		default:
		}
		evs, err := reader.EventsAfter(ctx, last, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.ID != last+1 {
				t.Fatalf("event %d followed %d", e.ID, last)
			}
			last = e.ID
		}
	}
	if last != writers*each {
		t.Errorf("read up to event %d, want %d", last, writers*each)
	}
}
