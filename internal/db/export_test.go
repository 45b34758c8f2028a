package db

import (
	"context"
	"io/fs"
	"time"
)

// Migrations are the embedded migration files, for tests.
var Migrations fs.FS = migrations

// MigrateFS applies the migrations in fsys (files migrations/*.sql) as
// Migrate applies the embedded ones.
func (d *DB) MigrateFS(ctx context.Context, fsys fs.FS) error { return d.migrate(ctx, fsys) }

// SetWait sets how long a PostgreSQL feed read waits for transactions that
// hold back committed events (0: not at all).
func (s *Events) SetWait(d time.Duration) { s.wait = d }

// SetWait sets how long a PostgreSQL audit log read waits for
// transactions that hold back committed entries (0: not at all).
func (s *Audit) SetWait(d time.Duration) { s.wait = d }
