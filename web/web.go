// Package web holds the dashboard's HTML templates and stylesheet, embedded
// in the binary so the server ships as one file.
package web

import "embed"

// Templates holds templates/*.html (a shared layout.html plus one file per
// page) and templates/style.css.
//
//go:embed templates/*.html templates/*.css
var Templates embed.FS
