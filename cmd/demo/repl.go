package main

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/vercel-partner/partner-server/internal/provisioning"
)

// demoREPL answers the store page's REPL for a demo database: a few
// read commands, and writes only when the input is not read-only.
func demoREPL(w http.ResponseWriter, body []byte) {
	var req provisioning.REPLRequest
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(replAnswer(req.Input, req.ReadOnly))
}

func text(s string) provisioning.Text { return provisioning.Text{Type: "text", Text: s} }

func para(ts ...provisioning.Text) provisioning.Block {
	for i := range ts {
		ts[i].Type = "text"
	}
	return provisioning.Block{Type: "paragraph", Children: ts}
}

// replAnswer runs one input against the pretend database.
func replAnswer(input string, readOnly bool) []provisioning.Block {
	cmd := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(input), ";"))
	word, _, _ := strings.Cut(cmd, " ")
	switch {
	case cmd == "help":
		return []provisioning.Block{para(provisioning.Text{Text: "Commands: ", Bold: true},
			text("help, tables, select 1, select * from users, insert into users … (not when read-only)."))}
	case cmd == "tables":
		return []provisioning.Block{{Type: "table", Header: []provisioning.Text{text("table"), text("rows")},
			Rows: [][]provisioning.Text{{text("users"), text("3")}, {text("orders"), text("12")}}}}
	case cmd == "select 1":
		return []provisioning.Block{{Type: "table", Header: []provisioning.Text{text("?column?")},
			Rows: [][]provisioning.Text{{text("1")}}}}
	case cmd == "select * from users":
		return []provisioning.Block{{Type: "table", Header: []provisioning.Text{text("id"), text("email")},
			Rows: [][]provisioning.Text{{text("1"), text("ada@example.com")}, {text("2"), text("grace@example.com")},
				{text("3"), text("alan@example.com")}}}}
	case word == "insert" || word == "update" || word == "delete" || word == "drop" || word == "create" || word == "alter":
		if readOnly {
			return []provisioning.Block{para(provisioning.Text{Text: "Permission denied: this session is read-only.", Color: "red"})}
		}
		return []provisioning.Block{para(text("OK: 1 row affected (the demo keeps nothing)."))}
	}
	return []provisioning.Block{para(provisioning.Text{Text: "Unknown command " + quoted(input) + ". Type help.", Color: "red"})}
}

func quoted(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return `"` + s + `"`
}
