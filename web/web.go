// Package web holds the dashboard's and the staff console's HTML
// templates and stylesheets, embedded in the binary so the server ships
// as one file.
package web

import "embed"

// Templates holds the dashboard's templates/*.html (a shared layout.html
// plus one file per page) and templates/style.css, and the staff
// console's templates/console/ (its own layout, pages and stylesheet).
//
//go:embed templates/*.html templates/*.css templates/console/*.html templates/console/*.css
var Templates embed.FS
