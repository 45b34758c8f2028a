package db

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
)

// Migrations are files migrations/NNNN_name.sql, applied in version order
// on both drivers. A file named NNNN_name.sqlite.sql or
// NNNN_name.postgres.sql is applied on that driver only; the other driver
// skips it and does not record its version, so one version may have a file
// for each driver. A version has either one file for both drivers or files
// for single drivers, never both.
//
//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the PostgreSQL advisory lock key serialising replicas.
// The event feed's readers do not wait for a transaction that holds it
// (feed.go), so a migration must never append to the feed.
const migrationLock = 7346617001

// migration is one file to apply.
type migration struct {
	version int64
	name    string // the file name, recorded in schema_migrations
	file    string
}

// Migrate applies every embedded migration not yet recorded, in order, in
// one transaction. Safe to run twice and from several replicas at once: on
// PostgreSQL an advisory lock serialises them, on SQLite the immediate
// write lock does.
func (d *DB) Migrate(ctx context.Context) error {
	return d.migrate(ctx, migrations)
}

func (d *DB) migrate(ctx context.Context, fsys fs.FS) error {
	todo, err := migrationsFor(fsys, d.Driver)
	if err != nil {
		return err
	}
	return d.Tx(ctx, func(tx *sqlx.Tx) error {
		if d.Driver == "postgres" {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
				return fmt.Errorf("db: migration lock: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version BIGINT PRIMARY KEY, name TEXT NOT NULL)`); err != nil {
			return fmt.Errorf("db: migrations table: %w", err)
		}
		for _, m := range todo {
			if err := applyOne(ctx, tx, fsys, m); err != nil {
				return err
			}
		}
		return nil
	})
}

// migrationsFor lists the migrations in fsys that apply on driver, in
// version order, after checking the names of all of them.
func migrationsFor(fsys fs.FS, driver string) ([]migration, error) {
	files, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	only := map[int64]map[string]string{} // version -> driver ("" for both) -> file name
	for _, f := range files {
		name := path.Base(f)
		num, rest, _ := strings.Cut(name, "_")
		version, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("db: migration %s: name must start with a number", name)
		}
		stem := strings.TrimSuffix(rest, ".sql")
		target := ""
		if i := strings.LastIndex(stem, "."); i >= 0 {
			if target = stem[i+1:]; target != "sqlite" && target != "postgres" {
				return nil, fmt.Errorf("db: migration %s: %q is no driver (sqlite, postgres)", name, target)
			}
		}
		if only[version] == nil {
			only[version] = map[string]string{}
		}
		for t, other := range only[version] {
			if t == target || t == "" || target == "" {
				return nil, fmt.Errorf("db: migrations %s and %s share version %d", other, name, version)
			}
		}
		only[version][target] = name
		if target == "" || target == driver {
			out = append(out, migration{version: version, name: name, file: f})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

func applyOne(ctx context.Context, tx *sqlx.Tx, fsys fs.FS, m migration) error {
	var n int
	if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), m.version); err != nil {
		return fmt.Errorf("db: migration %s: %w", m.name, err)
	}
	if n > 0 {
		return nil
	}
	body, err := fs.ReadFile(fsys, m.file)
	if err != nil {
		return err
	}
	for _, stmt := range splitStatements(string(body)) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("db: migration %s: %w", m.name, err)
		}
	}
	_, err = tx.ExecContext(ctx, tx.Rebind(`INSERT INTO schema_migrations (version, name) VALUES (?, ?)`), m.version, m.name)
	return err
}

// splitStatements splits a migration on semicolons at line ends; migrations
// hold no semicolons inside statements.
func splitStatements(sql string) []string {
	var out []string
	for _, s := range strings.Split(sql, ";\n") {
		if s = strings.TrimSpace(s); s != "" && !onlyComments(s) {
			out = append(out, strings.TrimSuffix(s, ";"))
		}
	}
	return out
}

func onlyComments(s string) bool {
	for _, line := range strings.Split(s, "\n") {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "--") {
			return false
		}
	}
	return true
}
