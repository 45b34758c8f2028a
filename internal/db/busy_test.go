package db

import (
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/vercel-partner/partner-server/internal/apperr"
)

// A PostgreSQL server that cannot serve now is a 503 with Retry-After
// for the caller; other database errors pass through.
func TestUnavailableNamesABusyPostgres(t *testing.T) {
	t.Parallel()
	for code, busy := range map[string]bool{
		"08006": true, // connection failure
		"57P01": true, // admin shutdown
		"57P03": true, // cannot connect now
		"53300": true, // too many clients
		"23505": false,
		"40001": false,
	} {
		err := unavailable(&pgconn.PgError{Code: code})
		if got := apperr.KindOf(err) == apperr.Unavailable; got != busy {
			t.Errorf("SQLSTATE %s: unavailable %v, want %v", code, got, busy)
		}
		var pe *pgconn.PgError
		if !errors.As(err, &pe) {
			t.Errorf("SQLSTATE %s: the cause is lost", code)
		}
	}
}
