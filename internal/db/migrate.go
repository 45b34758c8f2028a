package db

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the PostgreSQL advisory lock key serialising replicas.
const migrationLock = 7346617001

// Migrate applies every embedded migration not yet recorded, in order, in
// one transaction. Safe to run twice and from several replicas at once: on
// PostgreSQL an advisory lock serialises them, on SQLite the immediate
// write lock does.
func (d *DB) Migrate(ctx context.Context) error {
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(files)
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
		for _, f := range files {
			if err := applyOne(ctx, tx, f); err != nil {
				return err
			}
		}
		return nil
	})
}

func applyOne(ctx context.Context, tx *sqlx.Tx, file string) error {
	name := strings.TrimPrefix(file, "migrations/")
	num, _, _ := strings.Cut(name, "_")
	version, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return fmt.Errorf("db: migration %s: name must start with a number", name)
	}
	body, err := migrations.ReadFile(file)
	if err != nil {
		return err
	}
	var n int
	if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), version); err != nil {
		return fmt.Errorf("db: migration %s: %w", name, err)
	}
	if n > 0 {
		return nil
	}
	for _, stmt := range splitStatements(string(body)) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("db: migration %s: %w", name, err)
		}
	}
	_, err = tx.ExecContext(ctx, tx.Rebind(`INSERT INTO schema_migrations (version, name) VALUES (?, ?)`), version, name)
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
