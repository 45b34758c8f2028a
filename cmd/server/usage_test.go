package main

import (
	"bytes"
	"flag"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestHelpListsEveryCommandAndFlagAndSucceeds(t *testing.T) {
	demoFS, _, _, _, _ := demoFlags()
	serveFS, _ := configFlags("serve")
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}, {"-help"}, {"demo", "-h"}, {"migrate", "--help"}, {"deliveries", "-h"}} {
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
		for _, fs := range []*flag.FlagSet{demoFS, serveFS} {
			fs.VisitAll(func(f *flag.Flag) {
				if !strings.Contains(help, "-"+f.Name+" ") {
					t.Errorf("%q: help lacks %s's -%s", args, fs.Name(), f.Name)
				}
			})
		}
		if !strings.Contains(help, "Flags go after the command") {
			t.Errorf("%q: help does not say where flags go", args)
		}
	}
}

func TestFlagBeforeCommandNamesTheRightForm(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-addr", "127.0.0.1:9000", "demo"}, `run "server demo -addr 127.0.0.1:9000"`},
		{[]string{"-config", "c.yaml", "migrate"}, `run "server migrate -config c.yaml"`},
		{[]string{"-config", "c.yaml", "extra"}, `serve: unexpected argument "extra"`},
		{[]string{"-verbose"}, `serve: flag provided but not defined: -verbose (run "server help" for usage)`},
		{[]string{"demo", "-config", "c.yaml"}, `demo: flag provided but not defined: -config`},
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

func TestVersionPrefersLdflagsThenModuleThenRevision(t *testing.T) {
	rev := "0123456789abcdef0123"
	build := func(mod string, settings ...debug.BuildSetting) *debug.BuildInfo {
		return &debug.BuildInfo{Main: debug.Module{Version: mod}, Settings: settings}
	}
	for _, tc := range []struct {
		ldflags string
		info    *debug.BuildInfo
		ok      bool
		want    string
	}{
		{"v1.2.3", build("v0.9.0"), true, "v1.2.3"},
		{"", build("v0.9.0"), true, "v0.9.0"},
		{"", build("(devel)", debug.BuildSetting{Key: "vcs.revision", Value: rev}, debug.BuildSetting{Key: "vcs.modified", Value: "false"}), true, "dev-0123456789ab"},
		{"", build("(devel)", debug.BuildSetting{Key: "vcs.revision", Value: rev}, debug.BuildSetting{Key: "vcs.modified", Value: "true"}), true, "dev-0123456789ab-dirty"},
		{"", build("(devel)"), true, "dev"},
		{"", nil, false, "dev"},
	} {
		if got := versionFrom(tc.ldflags, tc.info, tc.ok); got != tc.want {
			t.Errorf("versionFrom(%q, %+v) = %q, want %q", tc.ldflags, tc.info, got, tc.want)
		}
	}
}
