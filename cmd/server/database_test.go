package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMaintenanceCommandsNameTheDefaultDatabase: without -config and
// PARTNER_DATABASE_*, migrate says it creates data/partner.db and why;
// deliveries refuses to create it and names it, and once it exists says
// it uses it.
func TestMaintenanceCommandsNameTheDefaultDatabase(t *testing.T) {
	t.Chdir(t.TempDir())
	const file = "data/partner.db"

	var out bytes.Buffer
	err := run(t.Context(), []string{"deliveries", "retry", "dlv_1"}, nil, &out)
	want := "no database at " + file + defaultNote
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "-config") {
		t.Errorf("deliveries without a database: got %v, want %q and how to name the right one", err, want)
	}
	if _, serr := os.Stat(file); !os.IsNotExist(serr) {
		t.Errorf("deliveries created %s (stat: %v)", file, serr)
	}

	out.Reset()
	if err := run(t.Context(), []string{"migrate"}, nil, &out); err != nil {
		t.Fatal(err)
	}
	if want := "database: creating sqlite " + file + defaultNote + "\nmigrations applied\n"; out.String() != want {
		t.Errorf("migrate said %q, want %q", out.String(), want)
	}
	out.Reset()
	if err := run(t.Context(), []string{"migrate"}, nil, &out); err != nil || !strings.HasPrefix(out.String(), "database: using sqlite "+file+defaultNote+"\n") {
		t.Errorf("second migrate said %q (%v), want it to use the file", out.String(), err)
	}

	out.Reset()
	err = run(t.Context(), []string{"deliveries", "cancel", "dlv_nope"}, nil, &out)
	if !strings.HasPrefix(out.String(), "database: using sqlite "+file+defaultNote+"\n") || err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("deliveries on the default database: said %q, error %v; want it named and the delivery not found", out.String(), err)
	}
}

// TestMaintenanceCommandsNameTheConfiguredDatabase: a DSN from the
// environment is named without "default"; a PostgreSQL URL is named by
// host and database, never with its password.
func TestMaintenanceCommandsNameTheConfiguredDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	var out bytes.Buffer
	if err := run(t.Context(), []string{"migrate"}, []string{"PARTNER_DATABASE_DSN=" + path}, &out); err != nil {
		t.Fatal(err)
	}
	if want := "database: creating sqlite " + path + "\n"; !strings.HasPrefix(out.String(), want) {
		t.Errorf("migrate said %q, want it to start with %q", out.String(), want)
	}

	out.Reset()
	env := []string{"PARTNER_DATABASE_DRIVER=postgres", "PARTNER_DATABASE_DSN=postgres://partner:s3cr3t-pw@127.0.0.1:1/billing?sslmode=disable"}
	err := run(t.Context(), []string{"deliveries", "retry", "dlv_1"}, env, &out)
	if want := "database: using postgres postgres://127.0.0.1:1/billing\n"; out.String() != want {
		t.Errorf("deliveries said %q, want %q", out.String(), want)
	}
	if err == nil || strings.Contains(err.Error()+out.String(), "s3cr3t-pw") {
		t.Errorf("want a connection error without the password, got %v", err)
	}
}
