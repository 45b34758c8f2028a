package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// TestRunPrintsEveryScenario runs the whole command with tiny settings and
// checks the table: every scenario has a row, with requests and no errors.
// Nothing is asserted about speed.
func TestRunPrintsEveryScenario(t *testing.T) {
	var out bytes.Buffer
	args := []string{"-duration", "200ms", "-installations", "5", "-conns", "2", "-backlog", "20", "-sessions", "10"}
	if err := run(t.Context(), args, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	text := out.String()
	if strings.Contains(text, "first error") {
		t.Errorf("errors reported:\n%s", text)
	}
	for _, name := range []string{
		"GET /healthz (ceiling)",
		"PUT /v1/installations/{id} (verified upsert)",
		"GET /v1/installations/{id} (verified read)",
		"POST /internal/v1/.../events (accepted)",
		"POST .../events, Vercel down (accepted)",
		"delivery backlog drain (deliveries/s)",
		"GET /callback SSO sign-in (10 sessions stored)",
	} {
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
	for _, want := range []string{"GOMAXPROCS", "go1.", "load average at start", "load average at end", "peak RSS", "start-up to ready"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q", want)
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
	} {
		if _, err := parseFlags(args, &bytes.Buffer{}); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
}
