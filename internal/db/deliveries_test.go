package db_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/vault"

	"github.com/vercel-partner/partner-server/internal/apperr"
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
	installOne(t, d)
	s := db.NewDeliveries(d)
	now := time.Now()
	// 10 ordering keys with 3 writes each: only the 10 heads are claimable.
	for i := range 30 {
		key := fmt.Sprintf("icfg_1|secrets|r%d", i%10)
		_, _, err := s.InsertDelivery(ctx, installations.Delivery{ID: fmt.Sprintf("d%02d", i), InstallationID: "icfg_1",
			Operation: "updateResourceSecretsById", OrderKey: key, CreatedAt: now, NextAttemptAt: now, Body: "{}"}, "", time.Time{}, nil)
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.InsertDelivery(ctx, installations.Delivery{ID: "dx", InstallationID: "icfg_unknown",
		OrderKey: "k", CreatedAt: now}, "", time.Time{}, nil); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("a delivery for an unknown installation: %v, want NotFound", err)
	}
	var mu sync.Mutex
	seen := map[string]string{}
	var wg sync.WaitGroup
	for w := range 4 {
		rs := db.NewDeliveries(replica())
		wg.Go(func() {
			owner := fmt.Sprintf("w%d", w)
			got, err := rs.ClaimDeliveries(ctx, owner, now.Add(time.Second), now.Add(time.Minute), 100)
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
	if again, _ := s.ClaimDeliveries(ctx, "late", now.Add(2*time.Second), now.Add(time.Minute), 100); len(again) != 0 {
		t.Errorf("re-claimed %d leased deliveries", len(again))
	}
	if expired, _ := s.ClaimDeliveries(ctx, "late", now.Add(2*time.Minute), now.Add(3*time.Minute), 100); len(expired) != 10 {
		t.Errorf("after the lease ran out, claimed %d, want 10", len(expired))
	}
}

// Concurrent writes with one ordering key, from two replicas: exactly one
// is leased for its first attempt (the others find it pending before
// them), and numbers follow commit order within the key, while writes of
// other keys are leased at once.
func TestConcurrentInsertsKeepOneHeadPerKey(t *testing.T) {
	dsn := dbtest.PostgresDSN(t)
	ctx := context.Background()
	first := open(t, "postgres", dsn)
	installOne(t, first)
	stores := []*db.Deliveries{db.NewDeliveries(first), db.NewDeliveries(open(t, "postgres", dsn))}
	now := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	leasedByKey := map[string]int{}
	for i := range 48 {
		wg.Go(func() {
			key := "icfg_1|events|shared"
			if i%4 == 0 {
				key = fmt.Sprintf("icfg_1|events|own%d", i)
			}
			_, leased, err := stores[i%2].InsertDelivery(ctx, installations.Delivery{ID: fmt.Sprintf("d%02d", i),
				InstallationID: "icfg_1", Operation: "createEvent", OrderKey: key, CreatedAt: now, NextAttemptAt: now,
				Body: "{}"}, "owner", now.Add(time.Minute), nil)
			if err != nil {
				t.Error(err)
				return
			}
			if leased {
				mu.Lock()
				leasedByKey[key]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if n := leasedByKey["icfg_1|events|shared"]; n != 1 {
		t.Errorf("%d deliveries of the shared key leased at once, want 1", n)
	}
	if len(leasedByKey) != 13 {
		t.Errorf("%d keys had a leased delivery, want 13: %v", len(leasedByKey), leasedByKey)
	}
}

// A delivery left for the worker (no owner) carries no lease: the worker
// can claim it at once.
func TestUnleasedDeliveryIsClaimableAtOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		installOne(t, d)
		s := db.NewDeliveries(d)
		now := time.Now()
		if _, leased, err := s.InsertDelivery(ctx, installations.Delivery{ID: "d1", InstallationID: "icfg_1",
			Operation: "createEvent", OrderKey: "k", CreatedAt: now, NextAttemptAt: now, Body: "{}"},
			"", now.Add(time.Minute), nil); err != nil || leased {
			t.Fatalf("insert: leased %v, err %v", leased, err)
		}
		got, err := s.ClaimDeliveries(ctx, "worker", now.Add(time.Millisecond), now.Add(time.Minute), 10)
		if err != nil || len(got) != 1 {
			t.Fatalf("claimed %d (%v), want the delivery at once", len(got), err)
		}
	})
}

// installOne stores installation icfg_1, which deliveries refer to.
func installOne(t *testing.T, d *db.DB) {
	t.Helper()
	v, _ := vault.New(make([]byte, 32))
	if _, err := db.NewInstallations(d, v).Upsert(context.Background(), installations.Upsert{ID: "icfg_1", Scopes: []string{"s"},
		Credentials: installations.Credentials{AccessToken: "t", TokenType: "Bearer"}}); err != nil {
		t.Fatal(err)
	}
}
