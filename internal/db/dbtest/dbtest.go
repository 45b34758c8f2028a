// Package dbtest opens fresh databases for tests: a SQLite file in a temp
// directory, and, when PostgreSQL is reachable, a schema of its own.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/db"
)

// PostgresEnv names the PostgreSQL URL tests use. When it is set, an
// unreachable server fails the tests instead of skipping them (CI sets it).
const PostgresEnv = "PARTNER_TEST_POSTGRES_DSN"

const defaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// SQLite opens a migrated SQLite database in t.TempDir().
func SQLite(t testing.TB) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), "sqlite", filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// PostgresDSN returns a DSN for a fresh schema, dropped at cleanup; the
// test is skipped when no server answers and PostgresEnv is unset.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base, required := os.LookupEnv(PostgresEnv)
	if !required {
		base = defaultPostgres
	}
	admin, err := sql.Open("pgx", base)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err = admin.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if required {
			t.Fatalf("PostgreSQL at %s: %v", PostgresEnv, err)
		}
		t.Skipf("PostgreSQL not reachable (set %s to require it): %v", PostgresEnv, err)
	}
	schema := "t_" + strings.ToLower(rand.Text()[:12])
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		admin.Close()
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

// Postgres opens a migrated PostgreSQL database in a fresh schema.
func Postgres(t testing.TB) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), "postgres", PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// Each runs fn once per available driver.
func Each(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}
