package db

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Modes of a new SQLite database: only the server's user may read it. The
// database holds sealed tokens, sessions and invoices.
const (
	dataDirMode = 0o700
	dataMode    = 0o600
)

// prepareSQLiteFile creates the directory (0700) and the empty database
// file (0600) of a new SQLite database, whatever the umask; SQLite gives
// the -wal and -shm files it creates the database file's mode. An existing
// directory or file is left as it is, with a warning when anyone may read
// it.
func prepareSQLiteFile(path string) (warnings []string, err error) {
	if dir := filepath.Dir(path); dir != "." {
		w, err := prepareDir(dir)
		if err != nil {
			return nil, err
		}
		warnings = append(warnings, w...)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, dataMode)
	if errors.Is(err, fs.ErrExist) {
		return append(warnings, readableByAll(path)...), nil
	}
	if err != nil {
		return nil, err
	}
	err = f.Chmod(dataMode) // the umask may have taken bits away
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return warnings, err
}

func prepareDir(dir string) ([]string, error) {
	if _, err := os.Stat(dir); err == nil {
		return readableByAll(dir), nil
	}
	if err := os.MkdirAll(dir, dataDirMode); err != nil {
		return nil, err
	}
	return nil, os.Chmod(dir, dataDirMode)
}

// readableByAll warns when path's mode lets every user read it.
func readableByAll(path string) []string {
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm()&0o004 == 0 {
		return nil
	}
	return []string{fmt.Sprintf("%s is readable by every user of this machine (mode %04o); the database holds sealed tokens and sessions: consider chmod o-rwx",
		path, st.Mode().Perm())}
}
