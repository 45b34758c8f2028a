package ops_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/db/dbtest"
	"github.com/vercel-partner/partner-server/internal/handlers/ops"
)

func TestReadinessNeedsAWriteToCommit(t *testing.T) {
	t.Parallel()
	d := dbtest.SQLite(t)
	r := chi.NewRouter()
	ops.Routes(r, ops.Deps{DB: d, WriteCheckEvery: 1})
	srv := httptest.NewServer(r)
	defer srv.Close()
	get := func(path string) int {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if s := get("/readyz"); s != 200 {
		t.Fatalf("healthy database: %d", s)
	}
	// Pings still answer, but no write can commit.
	if _, err := d.Exec(`DROP TABLE health`); err != nil {
		t.Fatal(err)
	}
	if s := get("/readyz"); s != 503 {
		t.Errorf("a database that refuses writes: readyz %d, want 503", s)
	}
	if s := get("/healthz"); s != 200 {
		t.Errorf("healthz: %d", s)
	}
}
