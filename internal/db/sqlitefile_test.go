//go:build unix

package db_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/vercel-partner/partner-server/internal/db"
)

// TestNewSQLiteDatabaseIsPrivate: under a umask that takes nothing away,
// a new database's directory is 0700 and its file, -wal and -shm 0600. It
// changes the process's umask, so it does not run in parallel.
func TestNewSQLiteDatabaseIsPrivate(t *testing.T) {
	defer syscall.Umask(syscall.Umask(0))
	dir := filepath.Join(t.TempDir(), "data", "partner")
	path := filepath.Join(dir, "partner.db")
	d, err := db.Open(context.Background(), "sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.CheckWrite(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := map[string]os.FileMode{dir: 0o700, path: 0o600, path + "-wal": 0o600, path + "-shm": 0o600}
	for p, mode := range want {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != mode {
			t.Errorf("%s: mode %04o, want %04o", filepath.Base(p), st.Mode().Perm(), mode)
		}
	}
	if len(d.Warnings) != 0 {
		t.Errorf("warnings for a new database: %q", d.Warnings)
	}
}

// TestExistingDirectoryIsLeftAndWarnedAbout: a directory the operator made
// keeps its mode; when every user may read it, Open says so.
func TestExistingDirectoryIsLeftAndWarnedAbout(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	path := filepath.Join(dir, "partner.db")
	d, err := db.Open(context.Background(), "sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o755 {
		t.Errorf("existing directory mode %04o, want it left at 0755", st.Mode().Perm())
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("new file in it: mode %04o, want 0600", st.Mode().Perm())
	}
	if len(d.Warnings) != 1 || !strings.Contains(d.Warnings[0], dir) {
		t.Errorf("warnings %q, want one naming %s", d.Warnings, dir)
	}
	// An existing file is left as it is too, and warned about.
	os.Chmod(path, 0o644)
	if d, err = db.Open(context.Background(), "sqlite", path); err != nil {
		t.Fatal(err)
	}
	d.Close()
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 || len(d.Warnings) != 2 {
		t.Errorf("existing file mode %04o, warnings %q: want it left and warned about", st.Mode().Perm(), d.Warnings)
	}
}
