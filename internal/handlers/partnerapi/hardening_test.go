package partnerapi_test

import (
	"database/sql"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/app/apptest"
	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/db/dbtest"
)

// TestNULAndInvalidUTF8AreRefusedOnBothDatabases: PostgreSQL refuses NUL
// and invalid UTF-8 where SQLite keeps them; the edge refuses them first,
// with the key named, identically on both.
func TestNULAndInvalidUTF8AreRefusedOnBothDatabases(t *testing.T) {
	t.Parallel()
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			dsn := filepath.Join(t.TempDir(), "p.db")
			if driver == "postgres" {
				dsn = dbtest.PostgresDSN(t)
			}
			env := apptest.New(t, apptest.Options{Catalog: testCatalog, Driver: driver, DSN: dsn, NoWorker: true})
			e := &partnerEnv{Env: env, sim: env.Sim}
			e.bind()
			admin := e.sim.Sign(e.claims("ADMIN"))
			path := "/v1/installations/" + testInstallation
			good := upsertBody("tok")
			for key, body := range map[string]string{
				"account.name":           strings.Replace(good, `"name":"Acme"`, `"name":"a\u0000b"`, 1),
				"account.url":            strings.Replace(good, `"url":"`, `"url":"\u0000`, 1),
				"account.contact.email":  strings.Replace(good, `"email":"`, `"email":"x\u0000`, 1),
				"credentials.token_type": strings.Replace(good, `"token_type":"`, `"token_type":"\u0000`, 1),
				"body":                   strings.Replace(good, `"scopes"`, "\"sc\xff\xfeopes\"", 1),
			} {
				s, b := e.do(t, "PUT", path, admin, body)
				var out struct {
					Error struct {
						Fields []struct{ Key string } `json:"fields"`
					} `json:"error"`
				}
				json.Unmarshal([]byte(b), &out)
				if s != 400 || len(out.Error.Fields) != 1 || out.Error.Fields[0].Key != key {
					t.Errorf("%s: %d %s, want 400 naming %s", key, s, b, key)
				}
			}
			for _, id := range []string{"icfg%00x", "%FF%FE", "..", strings.Repeat("i", 300)} {
				if s, b := e.do(t, "GET", "/v1/installations/"+id, admin, ""); s != 400 {
					t.Errorf("id %q: %d %s, want 400", id, s, b)
				}
			}
			if _, err := e.store.Get(t.Context(), testInstallation); err == nil {
				t.Error("a refused upsert stored the installation")
			}
		})
	}
}

// TestMetricLabelsComeFromFixedSets: random methods and paths must not
// grow the metrics.
func TestMetricLabelsComeFromFixedSets(t *testing.T) {
	t.Parallel()
	e := newPartnerEnv(t)
	for i := range 2000 {
		method := "X" + strings.ToUpper(strings.Repeat(string(rune('A'+rand.IntN(26))), 1+i%7)) + string(rune('A'+i%26))
		req, _ := http.NewRequest(method, e.srv.URL+"/healthz/"+string(rune('a'+i%26))+strings.Repeat("z", i%40), nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	res, err := http.Get(e.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(line, "partner_http_requests_total{") {
			continue
		}
		if strings.Contains(line, `method="X`) || strings.Contains(line, "zzz") {
			t.Fatalf("a request-made label value: %s", line)
		}
	}
	if n := strings.Count(string(raw), "partner_http_requests_total{"); n > 20 {
		t.Errorf("%d request series after 2,000 odd requests, want a handful", n)
	}
}

// TestLockedDatabaseAnswers503: a database another process keeps locked
// gives 503 with Retry-After after a bounded wait, not a 500.
func TestLockedDatabaseAnswers503(t *testing.T) {
	t.Parallel()
	e := newPartnerEnv(t)
	other, err := sql.Open("sqlite", db.SQLiteDSN(e.dbPath))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	admin := e.sim.Sign(e.claims("ADMIN"))
	if s, b := e.do(t, "PUT", "/v1/installations/"+testInstallation, admin, upsertBody("tok")); s != 200 {
		t.Fatalf("upsert: %d %s", s, b)
	}
	if _, err := conn.ExecContext(t.Context(), `BEGIN EXCLUSIVE`); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	type answer struct {
		status int
		retry  string
	}
	write := make(chan answer, 1)
	go func() {
		req, _ := http.NewRequest("PUT", e.srv.URL+"/v1/installations/"+testInstallation, strings.NewReader(upsertBody("tok")))
		req.Header.Set("Authorization", "Bearer "+admin)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			write <- answer{}
			return
		}
		res.Body.Close()
		write <- answer{res.StatusCode, res.Header.Get("Retry-After")}
	}()
	// While that write waits for the lock, reads do not queue behind it.
	time.Sleep(300 * time.Millisecond)
	readStart := time.Now()
	if s, b := e.do(t, "GET", "/v1/installations/"+testInstallation, admin, ""); s != 200 {
		t.Errorf("read while a write waits for the lock: %d %s", s, b)
	}
	if d := time.Since(readStart); d > 2*time.Second {
		t.Errorf("a read waited %v behind the stuck write", d)
	}
	got := <-write
	conn.ExecContext(t.Context(), `ROLLBACK`)
	if got.status != 503 || got.retry == "" {
		t.Errorf("write on a locked database: %d Retry-After %q, want 503 with Retry-After", got.status, got.retry)
	}
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("answered after %v; the wait should be bounded by the busy timeout", d)
	}
}

// TestRepeatedUninstallIsOneEventAndAFinalizedInstallationIsGone: a second
// DELETE changes nothing and announces nothing; GET of a finalized
// installation is 404 like one never installed.
func TestRepeatedUninstallIsOneEventAndAFinalizedInstallationIsGone(t *testing.T) {
	t.Parallel()
	e := newPartnerEnv(t)
	path := "/v1/installations/" + testInstallation
	admin := e.sim.Sign(e.claims("ADMIN"))
	if s, b := e.do(t, "PUT", path, admin, upsertBody("tok")); s != 200 {
		t.Fatalf("upsert: %d %s", s, b)
	}
	for range 2 {
		if s, b := e.do(t, "DELETE", path, e.sim.SystemToken(testInstallation), ""); s != 200 || !strings.Contains(b, `"finalized":true`) {
			t.Fatalf("delete: %d %s", s, b)
		}
	}
	var n int
	e.App.DB.Get(&n, `SELECT COUNT(*) FROM events WHERE type = 'installation.deleted'`)
	if n != 1 {
		t.Errorf("%d installation.deleted events after two DELETEs, want 1", n)
	}
	if s, b := e.do(t, "GET", path, e.sim.SystemToken(testInstallation), ""); s != 404 || !strings.Contains(b, "uninstalled") {
		t.Errorf("GET a finalized installation: %d %s, want 404", s, b)
	}
}
