package vercelsim

import (
	"embed"
	"html/template"
	"net/http"
)

// consoleFiles are the console's templates, one file per area of the
// page, and its style sheet.
//
//go:embed console
var consoleFiles embed.FS

var consolePages = template.Must(template.New("").Funcs(template.FuncMap{
	"roles": func() []string { return []string{"ADMIN", "USER", "NONE"} },
}).ParseFS(consoleFiles, "console/*.html"))

func handleConsoleCSS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeFileFS(w, r, consoleFiles, "console/console.css")
}
