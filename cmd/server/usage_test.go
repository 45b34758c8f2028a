package main

import (
	"bytes"
	"flag"
	"path/filepath"
	"strings"
	"testing"
)

func TestHelpListsEveryCommandAndFlagAndSucceeds(t *testing.T) {
	serveFS, _ := configFlags("serve")
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}, {"-help"}, {"migrate", "--help"}, {"deliveries", "-h"}} {
		var out bytes.Buffer
		if err := run(t.Context(), args, nil, &out); err != nil {
			t.Errorf("%q: %v", args, err)
			continue
		}
		help := out.String()
		for _, c := range commands {
			if !strings.Contains(help, "\n  "+c) {
				t.Errorf("%q: help lacks the %s command", args, c)
			}
		}
		serveFS.VisitAll(func(f *flag.Flag) {
			if !strings.Contains(help, "-"+f.Name+" ") {
				t.Errorf("%q: help lacks serve's -%s", args, f.Name)
			}
		})
		if !strings.Contains(help, "Flags go after the command") {
			t.Errorf("%q: help does not say where flags go", args)
		}
		if !strings.Contains(help, "go run ./cmd/demo") {
			t.Errorf("%q: help does not say where the demo went", args)
		}
	}
}

func TestFlagBeforeCommandNamesTheRightForm(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-config", "c.yaml", "migrate"}, `run "server migrate -config c.yaml"`},
		{[]string{"-config", "c.yaml", "extra"}, `serve: unexpected argument "extra"`},
		{[]string{"-verbose"}, `serve: flag provided but not defined: -verbose (run "server help" for usage)`},
	} {
		err := run(t.Context(), tc.args, nil, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %s", tc.args, err, tc.want)
		}
	}
}

func TestMigrateAndDeliveriesNeedOnlyTheDatabase(t *testing.T) {
	environ := []string{"PARTNER_DATABASE_DSN=" + filepath.Join(t.TempDir(), "m.db")}
	var out bytes.Buffer
	if err := run(t.Context(), []string{"migrate"}, environ, &out); err != nil || !strings.Contains(out.String(), "migrations applied") {
		t.Fatalf("migrate without secrets: %q %v", out.String(), err)
	}
	err := run(t.Context(), []string{"deliveries", "retry", "dlv_nope"}, environ, &out)
	if err == nil || strings.Contains(err.Error(), "encryption_key") || strings.Contains(err.Error(), "vercel.client") {
		t.Errorf("deliveries retry of an unknown id: want a not-found error, got %v", err)
	}
	err = run(t.Context(), []string{"migrate"}, append(environ, "PARTNER_DATABASE_DRIVER=mysql"), &out)
	if err == nil || !strings.Contains(err.Error(), "database.driver") {
		t.Errorf("want the driver refused, got %v", err)
	}
}

func TestDemoPointsAtItsOwnCommand(t *testing.T) {
	for _, args := range [][]string{{"demo"}, {"demo", "-reset"}, {"-addr", "127.0.0.1:9000", "demo"}} {
		err := run(t.Context(), args, nil, &bytes.Buffer{})
		if err == nil || err.Error() != errDemoMoved.Error() || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: got %v, want one line naming go run ./cmd/demo", args, err)
		}
	}
}
