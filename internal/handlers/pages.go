package handlers

import (
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"
)

// ParsePages parses the server-rendered pages of dir in fsys: each name
// as dir/NAME.html with dir/layout.html, and the stylesheet dir/style.
func ParsePages(fsys fs.FS, dir string, names []string, funcs template.FuncMap, style string) (map[string]*template.Template, []byte, error) {
	byName := map[string]*template.Template{}
	for _, name := range names {
		t, err := template.New(name).Funcs(funcs).ParseFS(fsys, dir+"/layout.html", dir+"/"+name+".html")
		if err != nil {
			return nil, nil, fmt.Errorf("templates of %s: %w", dir, err)
		}
		byName[name] = t
	}
	css, err := fs.ReadFile(fsys, dir+"/"+style)
	if err != nil {
		return nil, nil, fmt.Errorf("stylesheet of %s: %w", dir, err)
	}
	return byName, css, nil
}

// MethodNotAllowedPage sets the Allow header of a page refusing req's
// method with the methods r routes req's path to, then renders the
// refusal.
func MethodNotAllowedPage(r chi.Routes, render http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		path := chi.RouteContext(req.Context()).RoutePath
		if path == "" {
			path = req.URL.Path
		}
		if allowed := AllowedIn(r, path); len(allowed) > 0 {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
		}
		render(w, req)
	}
}

// SameOriginForms refuses, with deny, a form sent to next from another
// site than origin (the browser's Sec-Fetch-Site and Origin headers say
// where it comes from).
func SameOriginForms(next http.Handler, origin *url.URL, log *slog.Logger, deny http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	if err := cop.AddTrustedOrigin(origin.String()); err != nil {
		log.Warn("trusted origin", "origin", origin.String(), "err", err)
	}
	cop.SetDenyHandler(deny)
	return cop.Handler(next)
}

// OriginOf is the origin (scheme and host) of publicURL, which must be an
// absolute http(s) URL.
func OriginOf(publicURL string) (*url.URL, error) {
	u, err := url.Parse(publicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("public URL %q must be an absolute http(s) URL", publicURL)
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}
