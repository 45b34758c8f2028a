// Package db is the storage adapter: SQLite (default, embedded) or
// PostgreSQL through sqlx, with embedded migrations applied at start-up.
package db

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite" // registers "sqlite"
)

// DB is the shared database handle.
type DB struct {
	*sqlx.DB
	// Read serves reads that need no transaction. On SQLite it is a pool of
	// its own (WAL lets readers run beside the one writer), so a page or a
	// GET never queues behind a slow or stuck write; on PostgreSQL it is DB.
	Read   *sqlx.DB
	Driver string           // "sqlite" or "postgres"
	Now    func() time.Time // the stores' clock; default time.Now
	// Warnings are what Open found worth an operator's attention (a
	// SQLite file anyone may read), for the caller to log.
	Warnings []string
	grp      *group // SQLite's group commit; nil on PostgreSQL
}

func (d *DB) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// Open connects, checks the connection and applies pending migrations.
func Open(ctx context.Context, driver, dsn string) (*DB, error) {
	var (
		x, read  *sqlx.DB
		warnings []string
		err      error
	)
	switch driver {
	case "sqlite":
		if !strings.HasPrefix(dsn, "file:") && dsn != ":memory:" {
			if warnings, err = prepareSQLiteFile(dsn); err != nil {
				return nil, fmt.Errorf("db: %w", err)
			}
		}
		x = sqlx.NewDb(openSQLiteWriter(withPragma(SQLiteDSN(dsn), writerCache)), "sqlite")
		// SQLite has one writer at a time; with one connection writers
		// queue in Go instead of polling SQLite's busy lock, and the
		// connection's page and statement caches stay warm.
		x.SetMaxOpenConns(1)
		read = sqlx.NewDb(openSQLite(readOnly(SQLiteDSN(dsn))), "sqlite")
		read.SetMaxOpenConns(4)
		// database/sql keeps 2 idle by default: under 4 concurrent reads
		// the others were closed and reopened (pragmas, WAL set-up and an
		// empty statement cache) on nearly every read.
		read.SetMaxIdleConns(4)
	case "postgres":
		x, err = sqlx.Open("pgx", dsn)
		if err == nil {
			x.SetMaxOpenConns(16)
			// Keep them all idle: with database/sql's default of 2, a burst
			// closed the rest and every new one cost a PostgreSQL backend.
			x.SetMaxIdleConns(16)
			x.SetConnMaxIdleTime(5 * time.Minute)
		}
	default:
		return nil, fmt.Errorf("db: unknown driver %q", driver)
	}
	where := Describe(driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("db: open %s: %w", where, err)
	}
	if read == nil {
		read = x
	}
	d := &DB{DB: x, Read: read, Driver: driver, Warnings: warnings}
	if driver == "sqlite" {
		d.grp = newGroup(d)
	}
	if err := d.PingContext(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("db: %s: %w", where, err)
	}
	if err := d.Migrate(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("db: %s: %w", where, err)
	}
	return d, nil
}

// writerCache is the writer's page cache (negative: KiB). SQLite's
// default of 2 MB held too few of a large table's pages: with 100,000
// installations an upsert read pages back from the file it had just
// written. Pages are allocated only as they are used.
const writerCache = "cache_size(-16384)"

// readOnly adds query_only to a SQLite DSN: the read pool cannot write.
func readOnly(dsn string) string { return withPragma(dsn, "query_only(1)") }

func withPragma(dsn, pragma string) string {
	if strings.Contains(dsn, "?") {
		return dsn + "&_pragma=" + pragma
	}
	return dsn + "?_pragma=" + pragma
}

// Close stops group commit and closes both pools.
func (d *DB) Close() error {
	if d.grp != nil {
		d.grp.close()
	}
	if d.Read != nil && d.Read != d.DB {
		d.Read.Close()
	}
	return d.DB.Close()
}

// Describe names the database for people: the SQLite file, or
// PostgreSQL's host and database without credentials.
func Describe(driver, dsn string) string {
	if driver != "postgres" {
		return SQLiteFile(dsn)
	}
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		return "postgres"
	}
	return "postgres://" + u.Host + u.Path
}

// SQLiteFile is the file a SQLite DSN opens (a path, or a file: URI).
func SQLiteFile(dsn string) string {
	return strings.SplitN(strings.TrimPrefix(dsn, "file:"), "?", 2)[0]
}

// CheckWrite proves that a write can commit (readiness): it rewrites one
// row of the health table.
func (d *DB) CheckWrite(ctx context.Context) error {
	_, err := d.Write(ctx, d.Rebind(`INSERT INTO health (id, checked_at) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at`), Millis(d.now()))
	if err != nil {
		return fmt.Errorf("db: write check: %w", err)
	}
	return nil
}

// SQLiteDSN turns a file path into a DSN whose pragmas reach every pooled
// connection: WAL, a busy timeout, foreign keys, and immediate write locks.
func SQLiteDSN(path string) string {
	if strings.HasPrefix(path, "file:") {
		return path
	}
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout("+strconv.Itoa(busyTimeoutMillis)+")")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// Tx runs fn in one transaction, committing when it returns nil. On
// SQLite the transaction may share its commit with others (group.go); it
// returns only once its own data is committed or undone.
func (d *DB) Tx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	if d.grp != nil {
		return d.grp.tx(ctx, fn)
	}
	tx, err := d.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: begin: %w", unavailable(err))
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", unavailable(err))
	}
	return nil
}

// Write runs one write statement: on SQLite through group commit.
func (d *DB) Write(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if d.grp != nil {
		return d.grp.exec(ctx, q, args...)
	}
	return d.ExecContext(ctx, q, args...)
}

// Millis stores times as integer milliseconds, portable across drivers.
func Millis(t time.Time) int64 { return t.UnixMilli() }

// FromMillis is the inverse of Millis, in UTC.
func FromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// domains converts scanned rows to their domain values.
func domains[R interface{ domain() T }, T any](rows []R) []T {
	out := make([]T, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out
}
