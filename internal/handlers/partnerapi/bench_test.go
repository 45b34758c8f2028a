package partnerapi_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/vault"

	"github.com/coreos/go-oidc/v3/oidc"
	_ "modernc.org/sqlite"
)

// BenchmarkUpsertInstallation measures the verified PUT handler beside
// its floor in one run, each iteration with a token never seen before (so
// the verified-token cache does not help) and, for the handler, also with
// one token sent again and again. The floor is what an upsert cannot do
// without: a go-oidc RS256 verification, an AES-GCM seal of the access
// token, and the installation row with one feed event in one SQLite
// transaction of prepared statements.
func BenchmarkUpsertInstallation(b *testing.B) {
	e := newPartnerEnv(b)
	h := e.srv.Config.Handler
	body := []byte(upsertBody("vercel_tok_benchmark"))
	path := "/v1/installations/" + testInstallation
	put := func(b *testing.B, token string) {
		req := httptest.NewRequest("PUT", path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
	fresh := func(b *testing.B, i int) string {
		b.StopTimer()
		defer b.StartTimer()
		return e.sim.Sign(with(e.claims("ADMIN"), "user_id", fmt.Sprint("bench", i)))
	}
	b.Run("handler/fresh-token", func(b *testing.B) {
		b.ReportAllocs()
		var cpu cpuMeter
		for i := 0; b.Loop(); i++ {
			tok := fresh(b, i)
			cpu.start()
			put(b, tok)
			cpu.stop()
		}
		cpu.report(b)
	})
	b.Run("handler/same-token", func(b *testing.B) {
		tok := e.sim.Sign(e.claims("ADMIN"))
		b.ReportAllocs()
		var cpu cpuMeter
		for b.Loop() {
			cpu.start()
			put(b, tok)
			cpu.stop()
		}
		cpu.report(b)
	})
	b.Run("floor/fresh-token", func(b *testing.B) {
		f := newFloor(b, e.sim.Issuer(), e.sim.JWKSURL(), e.sim.ClientID())
		b.ReportAllocs()
		var cpu cpuMeter
		for i := 0; b.Loop(); i++ {
			tok := fresh(b, i)
			cpu.start()
			f.upsert(b, tok, "vercel_tok_benchmark")
			cpu.stop()
		}
		cpu.report(b)
	})
}

// cpuMeter adds up the process's CPU time over the timed calls: on a
// shared machine it moves much less than ns/op, which counts the time
// other processes held the cores. Everything the call does runs in this
// process (the handler's SQLite included), and signing is left out.
type cpuMeter struct{ at, total time.Duration }

func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (m *cpuMeter) start() { m.at = processCPU() }
func (m *cpuMeter) stop()  { m.total += processCPU() - m.at }

func (m *cpuMeter) report(b *testing.B) {
	b.ReportMetric(float64(m.total.Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// floor is the least an upsert does, with nothing of this server's own.
type floor struct {
	verifier *oidc.IDTokenVerifier
	vault    *vault.Vault
	db       *sql.DB
	row, ev  *sql.Stmt
}

func newFloor(b *testing.B, issuer, jwksURL, clientID string) *floor {
	ctx := context.Background()
	keys := oidc.NewRemoteKeySet(ctx, jwksURL)
	f := &floor{verifier: oidc.NewVerifier(issuer, keys, &oidc.Config{ClientID: clientID})}
	var err error
	if f.vault, err = vault.New(make([]byte, 32)); err != nil {
		b.Fatal(err)
	}
	dsn := "file:" + filepath.Join(b.TempDir(), "floor.db") + "?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	if f.db, err = sql.Open("sqlite", dsn); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.db.Close() })
	f.db.SetMaxOpenConns(1)
	for _, q := range []string{
		`CREATE TABLE installations (id TEXT PRIMARY KEY, body TEXT NOT NULL, token BLOB NOT NULL, updated_at INTEGER NOT NULL)`,
		`CREATE TABLE events (id INTEGER PRIMARY KEY, type TEXT NOT NULL, subject TEXT NOT NULL)`,
	} {
		if _, err := f.db.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
	if f.row, err = f.db.Prepare(`INSERT INTO installations (id, body, token, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET body = excluded.body, token = excluded.token, updated_at = excluded.updated_at`); err != nil {
		b.Fatal(err)
	}
	if f.ev, err = f.db.Prepare(`INSERT INTO events (type, subject) VALUES ('installation.updated', ?)`); err != nil {
		b.Fatal(err)
	}
	return f
}

func (f *floor) upsert(b *testing.B, token, access string) {
	ctx := context.Background()
	if _, err := f.verifier.Verify(ctx, token); err != nil {
		b.Fatal(err)
	}
	sealed, _, err := f.vault.Seal(testInstallation, access)
	if err != nil {
		b.Fatal(err)
	}
	tx, err := f.db.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := tx.Stmt(f.row).Exec(testInstallation, `{"scopes":["read-write:integration-resource"]}`, sealed, 1); err != nil {
		b.Fatal(err)
	}
	if _, err := tx.Stmt(f.ev).Exec(testInstallation); err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}
