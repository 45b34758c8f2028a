package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/handlers"
)

func noop(http.ResponseWriter, *http.Request) {}

// TestMethodNotAllowedNamesTheAllowedMethods mounts a router the way the
// app mounts its surfaces.
func TestMethodNotAllowedNamesTheAllowedMethods(t *testing.T) {
	t.Parallel()
	sub := chi.NewRouter()
	sub.Get("/things/{id}", noop)
	sub.Put("/things/{id}", noop)
	sub.Post("/things", noop)
	sub.MethodNotAllowed(handlers.MethodNotAllowed)
	root := chi.NewRouter()
	root.Get("/healthz", noop)
	root.Mount("/api", sub)
	root.MethodNotAllowed(handlers.MethodNotAllowed)
	srv := httptest.NewServer(root)
	defer srv.Close()
	for _, tc := range []struct{ method, path, allow string }{
		{"DELETE", "/api/things/t_1", "GET, PUT"},
		{"GET", "/api/things", "POST"},
		{"POST", "/healthz", "GET"},
		{"PATCH", "/api/things/a%2Fb", "GET, PUT"},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 405 || res.Header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d Allow %q, want 405 Allow %q", tc.method, tc.path, res.StatusCode, res.Header.Get("Allow"), tc.allow)
		}
	}
}

func TestAllowedMethodsOutsideARouterIsEmpty(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	handlers.MethodNotAllowed(w, httptest.NewRequest("DELETE", "/x", nil))
	if w.Code != 405 || w.Header().Get("Allow") != "" {
		t.Errorf("%d %q", w.Code, w.Header().Get("Allow"))
	}
}
