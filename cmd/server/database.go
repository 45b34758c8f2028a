package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/vercel-partner/partner-server/internal/config"
	"github.com/vercel-partner/partner-server/internal/db"
)

// defaultNote says why a command uses the default database: an operator
// who forgot -config learns it before anything changes.
const defaultNote = " (the default: no -config and no PARTNER_DATABASE_DSN given)"

// openDatabase opens the database of a maintenance command after naming
// it on stdout (see nameDatabase).
func openDatabase(ctx context.Context, cfg *config.Config, create bool, stdout io.Writer) (*db.DB, error) {
	if err := nameDatabase(cfg, create, stdout); err != nil {
		return nil, err
	}
	return db.Open(ctx, cfg.Database.Driver, cfg.Database.DSN)
}

// nameDatabase says on stdout which database a maintenance command is
// about to open: the driver and the SQLite file, or PostgreSQL's host and
// database (never a password). With create false, a SQLite file that does
// not exist is an error rather than a new, empty database.
func nameDatabase(cfg *config.Config, create bool, stdout io.Writer) error {
	driver, dsn := cfg.Database.Driver, cfg.Database.DSN
	where := driver + " " + db.Describe(driver, dsn)
	note := ""
	if cfg.DefaultDatabase() {
		note = defaultNote
	}
	verb := "using"
	if driver == "sqlite" {
		_, err := os.Stat(db.SQLiteFile(dsn))
		switch {
		case errors.Is(err, fs.ErrNotExist) && !create:
			return fmt.Errorf("no database at %s%s: pass -config with your server's configuration, or set PARTNER_DATABASE_DSN",
				db.SQLiteFile(dsn), note)
		case errors.Is(err, fs.ErrNotExist):
			verb = "creating"
		}
	}
	fmt.Fprintf(stdout, "database: %s %s%s\n", verb, where, note)
	return nil
}
