package main

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/vercel-partner/partner-server/internal/db/dbtest"
)

// TestRunPrintsEveryScenario runs the whole command with tiny settings and
// checks the table: every scenario has a row, with requests and no errors.
// Nothing is asserted about speed; each scenario runs 500 ms so that even
// under -race on a busy machine some requests complete in it.
func TestRunPrintsEveryScenario(t *testing.T) {
	var out bytes.Buffer
	args := []string{"-duration", "500ms", "-installations", "5", "-conns", "2", "-backlog", "20", "-sessions", "10", "-fresh", "40"}
	if err := run(t.Context(), args, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	text := out.String()
	checkRows(t, text, []string{
		"GET /healthz (ceiling)",
		"PUT /v1/installations/{id} (verified upsert)",
		"floor: installation store Upsert, direct",
		"floor: delivery recorded, then its outcome, direct",
		"PUT /v1/installations/{id} (every token new, 40)",
		"GET /v1/installations/{id} (verified read)",
		"POST /internal/v1/.../events (accepted)",
		"POST .../events, Vercel down (accepted)",
		"delivery backlog drain (deliveries/s)",
		"GET /callback SSO sign-in, one at a time (10 sessions stored)",
		"GET /callback SSO sign-in (10 sessions stored)",
	})
	for _, want := range []string{"GOMAXPROCS", "go1.", "load average at start", "load average at end", "peak RSS", "start-up to ready",
		"CPU/req here", `(verified upsert) vs "floor: installation store Upsert, direct": `} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

// TestReplicasShareOnePostgres runs two replicas on one fresh PostgreSQL
// schema with only three scenarios: the SQLite table, one replica's and
// the two replicas' print, and the backlog drains without errors with
// both workers running.
func TestReplicasShareOnePostgres(t *testing.T) {
	if _, ok := os.LookupEnv(dbtest.PostgresEnv); !ok {
		t.Skipf("%s is not set: no PostgreSQL to run replicas on", dbtest.PostgresEnv)
	}
	var out bytes.Buffer
	args := []string{"-duration", "500ms", "-installations", "6", "-conns", "4", "-backlog", "40",
		"-postgres", dbtest.PostgresDSN(t), "-replicas", "2", "-scenarios", "healthz,internal,drain"}
	if err := run(t.Context(), args, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	text := out.String()
	tables := strings.Split(text, "== ")
	if len(tables) != 4 || !strings.HasPrefix(tables[1], "sqlite: ") || !strings.HasPrefix(tables[2], "postgres: ") ||
		!strings.HasPrefix(tables[3], "postgres, 2 replicas: ") {
		t.Fatalf("want a sqlite, a postgres and a \"postgres, 2 replicas\" table:\n%s", text)
	}
	rows := []string{
		"GET /healthz (ceiling)",
		"POST /internal/v1/.../events (accepted)",
		"POST .../events, Vercel down (accepted)",
		"delivery backlog drain (deliveries/s)",
	}
	for _, table := range tables[1:] {
		checkRows(t, table, rows)
		if strings.Contains(table, "verified") || strings.Contains(table, "SSO") {
			t.Errorf("a scenario left out by -scenarios ran:\n%s", table)
		}
	}
}

// checkRows checks that text has a row for every name, each with requests
// completed and no errors, and reports no first error.
func checkRows(t *testing.T, text string, names []string) {
	t.Helper()
	if strings.Contains(text, "first error") {
		t.Errorf("errors reported:\n%s", text)
	}
	for _, name := range names {
		row := regexp.MustCompile(regexp.QuoteMeta(name) + `\s+([0-9]+)\s+\S+\s+\S+\s+([0-9]+)\s`).FindStringSubmatch(text)
		switch {
		case row == nil:
			t.Errorf("no row for %q:\n%s", name, text)
		case row[1] == "0":
			t.Errorf("%q: no requests completed", name)
		case row[2] != "0":
			t.Errorf("%q: %s errors", name, row[2])
		}
	}
}

// TestBaseSpreadsOverReplicas checks the round-robin: consecutive
// connections go to consecutive replicas and wrap around.
func TestBaseSpreadsOverReplicas(t *testing.T) {
	sv := &server{replicas: []*replica{{url: "a"}, {url: "b"}, {url: "c"}}}
	for i, want := range []string{"a", "b", "c", "a", "b"} {
		if got := sv.base(i); got != want {
			t.Errorf("base(%d) = %q, want %q", i, got, want)
		}
	}
}

// TestFlagsRefuseBadSettings checks that nonsense settings stop the run
// before anything starts.
func TestFlagsRefuseBadSettings(t *testing.T) {
	for _, args := range [][]string{
		{"-conns", "0"},
		{"-duration", "0s"},
		{"-installations", "-1"},
		{"-sessions", "-2"},
		{"extra"},
		{"-replicas", "0"},
		{"-replicas", "2"},
		{"-scenarios", "healthz,nope"},
		{"-scenarios", ""},
	} {
		if _, err := parseFlags(args, &bytes.Buffer{}); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
}
