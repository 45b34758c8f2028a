package db

import (
	"context"
	"database/sql/driver"
	"errors"
	"net"
	"strings"

	"github.com/vercel-partner/partner-server/internal/apperr"
)

// busyTimeoutMillis is how long SQLite waits for a lock another process
// holds before answering "busy"; callers then get 503 with Retry-After.
const busyTimeoutMillis = 5000

// errBusy is what a caller sees when the database is locked or out of
// reach: try again shortly.
func errBusy(cause error) error {
	return &apperr.Error{Kind: apperr.Unavailable, Code: "unavailable",
		Message: "the database is busy; try again shortly", Err: cause}
}

// sqliteCode is the primary result code of a SQLite error, 0 for others.
func sqliteCode(err error) int {
	var c interface{ Code() int }
	if errors.As(err, &c) {
		return c.Code() & 0xff
	}
	return 0
}

// unavailable turns a busy, locked or unreachable database's error into
// errBusy; other errors pass through.
func unavailable(err error) error {
	if err == nil {
		return nil
	}
	if code := sqliteCode(err); code == 5 || code == 6 { // SQLITE_BUSY, SQLITE_LOCKED
		return errBusy(err)
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, driver.ErrBadConn) || pgUnreachable(err) {
		return errBusy(err)
	}
	return err
}

// pgUnreachable reports a PostgreSQL server that is shutting down,
// starting up, dropped the connection (SQLSTATE class 08, 57P01-57P03) or
// has no connection to spare (53300: too many clients).
func pgUnreachable(err error) bool {
	var pe interface{ SQLState() string }
	if !errors.As(err, &pe) {
		return false
	}
	code := pe.SQLState()
	return strings.HasPrefix(code, "08") || code == "57P01" || code == "57P02" || code == "57P03" || code == "53300"
}

// busyTx maps a busy COMMIT like the statements before it.
type busyTx struct{ driver.Tx }

func (t busyTx) Commit() error { return unavailable(t.Tx.Commit()) }

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.fullConn.BeginTx(ctx, opts)
	if err != nil {
		return nil, unavailable(err)
	}
	return busyTx{tx}, nil
}
