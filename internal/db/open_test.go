package db_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vercel-partner/partner-server/internal/db"
)

func TestOpenErrorsNameTheDatabase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "not-a-db.db")
	if err := os.WriteFile(bad, []byte("this is no SQLite file, it is long enough to be read as a header"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := db.Open(context.Background(), "sqlite", bad)
	if err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("opening a corrupt file: %v, want the path named", err)
	}
	_, err = db.Open(context.Background(), "postgres", "postgres://user:secret-pw@127.0.0.1:1/nodb?sslmode=disable")
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1/nodb") || strings.Contains(err.Error(), "secret-pw") {
		t.Errorf("unreachable PostgreSQL: %v, want host and database named, no password", err)
	}
}
