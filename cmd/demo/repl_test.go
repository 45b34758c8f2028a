package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vercel-partner/partner-server/internal/provisioning"
)

// The demo's REPL answers its commands with blocks the server accepts,
// and refuses writes when the session is read-only.
func TestDemoREPL(t *testing.T) {
	t.Parallel()
	cases := []struct {
		input    string
		readOnly bool
		want     string
	}{
		{"help", true, "Commands"},
		{"tables", true, `"users"`},
		{"select 1;", true, `"?column?"`},
		{"SELECT * FROM users", true, "ada@example.com"},
		{"insert into users values (4)", true, "Permission denied"},
		{"drop table users", true, "Permission denied"},
		{"insert into users values (4)", false, "1 row affected"},
		{"launch rockets", false, "Unknown command"},
	}
	for _, tc := range cases {
		body, _ := json.Marshal(replAnswer(tc.input, tc.readOnly))
		if _, err := provisioning.CheckBlocks(body); err != nil {
			t.Errorf("%q: the server would refuse the answer: %v", tc.input, err)
		}
		if !strings.Contains(string(body), tc.want) {
			t.Errorf("%q (read-only %v): %s, want %q", tc.input, tc.readOnly, body, tc.want)
		}
	}
}
