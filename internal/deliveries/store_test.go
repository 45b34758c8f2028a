package deliveries

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/db/dbtest"
	"github.com/vercel-partner/partner-server/internal/installations"
)

func TestClaimLeasesOnlyHeadsAndNeverTwice(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "p.db")
		testClaims(t, func() *db.DB { return open(t, "sqlite", path) })
	})
	t.Run("postgres", func(t *testing.T) {
		// Each claimer has a handle of its own, like separate replicas.
		dsn := dbtest.PostgresDSN(t)
		testClaims(t, func() *db.DB { return open(t, "postgres", dsn) })
	})
}

func open(t *testing.T, driver, dsn string) *db.DB {
	d, err := db.Open(context.Background(), driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func testClaims(t *testing.T, replica func() *db.DB) {
	ctx := context.Background()
	d := replica()
	vault, _ := installations.NewVault(make([]byte, 32))
	if _, err := db.NewInstallations(d, vault).Upsert(ctx, installations.Upsert{ID: "icfg_1", Scopes: []string{"s"},
		Credentials: installations.Credentials{AccessToken: "t", TokenType: "Bearer"}}); err != nil {
		t.Fatal(err)
	}
	s := &store{db: d}
	now := time.Now()
	// 10 ordering keys with 3 writes each: only the 10 heads are claimable.
	for i := range 30 {
		err := d.Tx(ctx, func(tx *sqlx.Tx) error {
			seq, err := db.NextSeqTx(ctx, tx, "deliveries")
			if err != nil {
				return err
			}
			key := fmt.Sprintf("icfg_1|secrets|r%d", i%10)
			return s.insert(ctx, tx, newRow{Delivery: Delivery{ID: fmt.Sprintf("d%02d", i), Seq: seq, InstallationID: "icfg_1",
				Operation: OpUpdateSecrets, OrderKey: key, CreatedAt: now}, body: "{}"})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[string]string{}
	var wg sync.WaitGroup
	for w := range 4 {
		rs := &store{db: replica()}
		wg.Go(func() {
			owner := fmt.Sprintf("w%d", w)
			got, err := rs.claim(ctx, owner, now.Add(time.Second), now.Add(time.Minute), 100)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, dl := range got {
				if prev, ok := seen[dl.ID]; ok {
					t.Errorf("%s claimed by %s and %s", dl.ID, prev, owner)
				}
				seen[dl.ID] = owner
			}
		})
	}
	wg.Wait()
	if len(seen) != 10 {
		t.Errorf("claimed %d, want the 10 heads", len(seen))
	}
	for id := range seen {
		if id >= "d10" {
			t.Errorf("claimed %s, which waits behind an earlier write", id)
		}
	}
	// Leased rows are not claimable again until the lease runs out.
	if again, _ := s.claim(ctx, "late", now.Add(2*time.Second), now.Add(time.Minute), 100); len(again) != 0 {
		t.Errorf("re-claimed %d leased deliveries", len(again))
	}
	if expired, _ := s.claim(ctx, "late", now.Add(2*time.Minute), now.Add(3*time.Minute), 100); len(expired) != 10 {
		t.Errorf("after the lease ran out, claimed %d, want 10", len(expired))
	}
}

func TestBackoffGrowsIsCappedAndHonoursHints(t *testing.T) {
	t.Parallel()
	for n := 1; n < 40; n++ {
		got := backoff(n, time.Second, time.Minute, 0)
		lo := min(time.Second<<min(n-1, 20), time.Minute) / 2
		if got < lo || got > time.Minute {
			t.Errorf("attempt %d: %v outside [%v, 1m]", n, got, lo)
		}
	}
	if got := backoff(1, time.Second, time.Minute, 7*time.Second); got != 7*time.Second {
		t.Errorf("hint: %v", got)
	}
}
