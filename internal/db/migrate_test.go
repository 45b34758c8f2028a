package db_test

import (
	"fmt"
	"io/fs"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/db/dbtest"
)

func sqlFile(body string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(body)} }

func TestDriverMigrations(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		files := fstest.MapFS{
			"migrations/9001_both.sql":             sqlFile("CREATE TABLE m_both (id INTEGER PRIMARY KEY);\n"),
			"migrations/9002_pair.sqlite.sql":      sqlFile("CREATE TABLE m_sqlite (id INTEGER PRIMARY KEY);\n"),
			"migrations/9002_pair.postgres.sql":    sqlFile("CREATE TABLE m_postgres (id BIGSERIAL PRIMARY KEY);\n"),
			"migrations/9003_pg_only.postgres.sql": sqlFile("CREATE TABLE m_pg_only (id BIGINT PRIMARY KEY);\n"),
			"migrations/9004_last.sql":             sqlFile("CREATE TABLE m_last (id INTEGER PRIMARY KEY);\n"),
		}
		for range 2 { // the second run finds everything recorded
			if err := d.MigrateFS(ctx, files); err != nil {
				t.Fatal(err)
			}
		}
		want := map[string][]string{
			"sqlite":   {"9001 9001_both.sql", "9002 9002_pair.sqlite.sql", "9004 9004_last.sql"},
			"postgres": {"9001 9001_both.sql", "9002 9002_pair.postgres.sql", "9003 9003_pg_only.postgres.sql", "9004 9004_last.sql"},
		}[d.Driver]
		if got := recorded(t, d, 9000); !reflect.DeepEqual(got, want) {
			t.Errorf("recorded %q, want %q", got, want)
		}
		tables := map[string]bool{"m_both": true, "m_last": true, "m_sqlite": d.Driver == "sqlite",
			"m_postgres": d.Driver == "postgres", "m_pg_only": d.Driver == "postgres"}
		for table, exists := range tables {
			var n int
			err := d.Get(&n, `SELECT COUNT(*) FROM `+table)
			if (err == nil) != exists {
				t.Errorf("table %s: exists %v, want %v (%v)", table, err == nil, exists, err)
			}
		}
	})
}

func TestEmbeddedDriverMigrations(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		got := strings.Join(recorded(t, d, 0), ",")
		has := strings.Contains(got, "12 0012_rowids.sqlite.sql")
		if has != (d.Driver == "sqlite") {
			t.Errorf("recorded %s", got)
		}
	})
}

func TestMigrationNames(t *testing.T) {
	cases := []struct {
		files fstest.MapFS
		want  string
	}{
		{fstest.MapFS{"migrations/0001_a.sql": sqlFile(""), "migrations/0001_b.postgres.sql": sqlFile("")}, "share version 1"},
		{fstest.MapFS{"migrations/0001_a.sqlite.sql": sqlFile(""), "migrations/0001_b.sql": sqlFile("")}, "share version 1"},
		{fstest.MapFS{"migrations/0001_a.sql": sqlFile(""), "migrations/0001_b.sql": sqlFile("")}, "share version 1"},
		{fstest.MapFS{"migrations/0001_a.sqlite.sql": sqlFile(""), "migrations/0001_b.sqlite.sql": sqlFile("")}, "share version 1"},
		{fstest.MapFS{"migrations/0001_a.mysql.sql": sqlFile("")}, `"mysql" is no driver`},
		{fstest.MapFS{"migrations/a.sql": sqlFile("")}, "must start with a number"},
	}
	// Every driver refuses every case, also those that name another driver.
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		for _, c := range cases {
			if err := d.MigrateFS(t.Context(), c.files); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%v: %v, want %q", slices.Sorted(maps.Keys(c.files)), err, c.want)
			}
		}
	})
}

// recorded lists "version name" of the migrations above version after.
func recorded(t *testing.T, d *db.DB, after int64) []string {
	t.Helper()
	var rows []struct {
		Version int64  `db:"version"`
		Name    string `db:"name"`
	}
	if err := d.Select(&rows, d.Rebind(`SELECT version, name FROM schema_migrations WHERE version > ? ORDER BY version`), after); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%d %s", r.Version, r.Name))
	}
	return out
}

// upTo is the embedded migrations numbered up to last.
func upTo(t *testing.T, last int) fstest.MapFS {
	t.Helper()
	files, err := fs.Glob(db.Migrations, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	out := fstest.MapFS{}
	for _, f := range files {
		var n int
		if _, err := fmt.Sscanf(strings.TrimPrefix(f, "migrations/"), "%d_", &n); err != nil {
			t.Fatal(f, err)
		}
		if n <= last {
			b, err := fs.ReadFile(db.Migrations, f)
			if err != nil {
				t.Fatal(err)
			}
			out[f] = sqlFile(string(b))
		}
	}
	return out
}
