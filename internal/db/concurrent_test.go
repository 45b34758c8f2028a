package db_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/db/dbtest"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// Concurrent outcomes are
// each recorded only where their owner holds the lease, with every field.
func TestConcurrentFinishesKeepTheirOwnOutcome(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		installOne(t, d)
		s := db.NewDeliveries(d)
		now := time.Now().Truncate(time.Millisecond)
		const n = 40
		for i := range n {
			_, leased, err := s.InsertDelivery(ctx, installations.Delivery{ID: fmt.Sprintf("f%02d", i), InstallationID: "icfg_1",
				Operation: "createEvent", OrderKey: fmt.Sprintf("k%d", i), CreatedAt: now, NextAttemptAt: now, Body: "{}"},
				fmt.Sprintf("owner%d", i), now.Add(time.Minute), nil)
			if err != nil || !leased {
				t.Fatalf("insert %d: leased %v %v", i, leased, err)
			}
		}
		var wg sync.WaitGroup
		got := make([]bool, n)
		for i := range n {
			wg.Go(func() {
				dl := installations.Delivery{ID: fmt.Sprintf("f%02d", i), Status: installations.DeliveryPending,
					Attempts: i, LastError: fmt.Sprint("error ", i), NextAttemptAt: now.Add(time.Duration(i) * time.Second), UpdatedAt: now}
				if i%2 == 0 {
					done := now.Add(time.Duration(i) * time.Millisecond)
					dl.Status, dl.ResultStatus, dl.Result, dl.FinishedAt, dl.LastError = installations.DeliveryDelivered, 200,
						[]byte(fmt.Sprintf(`{"n":%d}`, i)), &done, ""
				}
				owner := fmt.Sprintf("owner%d", i)
				if i%4 == 1 {
					owner = "someone else"
				}
				var err error
				if got[i], err = s.FinishDelivery(ctx, dl, owner, nil); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		for i := range n {
			stored, err := s.GetDelivery(ctx, fmt.Sprintf("f%02d", i))
			if err != nil {
				t.Fatal(err)
			}
			lost := i%4 == 1
			if got[i] == lost {
				t.Errorf("%d: finished %v, want %v", i, got[i], !lost)
			}
			switch {
			case lost:
				if stored.Attempts != 0 || stored.Leases != 1 {
					t.Errorf("%d: a finish without the lease changed %+v", i, stored)
				}
			case i%2 == 0:
				if stored.Status != installations.DeliveryDelivered || stored.Attempts != i || stored.ResultStatus != 200 ||
					string(stored.Result) != fmt.Sprintf(`{"n":%d}`, i) || stored.FinishedAt == nil ||
					!stored.FinishedAt.Equal(now.Add(time.Duration(i)*time.Millisecond)) {
					t.Errorf("%d: stored %+v", i, stored)
				}
			default:
				if stored.Status != installations.DeliveryPending || stored.Attempts != i || stored.LastError != fmt.Sprint("error ", i) ||
					stored.FinishedAt != nil || !stored.NextAttemptAt.Equal(now.Add(time.Duration(i)*time.Second)) {
					t.Errorf("%d: stored %+v", i, stored)
				}
			}
		}
	})
}

// Concurrent token reads each get their own
// installation's token, or NotFound.
func TestConcurrentTokenReads(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		s := db.NewInstallations(d, newVault(t))
		for i := range 10 {
			u := upsert
			u.ID, u.Credentials.AccessToken = fmt.Sprint("icfg_t", i), fmt.Sprint("token-", i)
			if _, err := s.Upsert(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		for i := range 60 {
			wg.Go(func() {
				k := i % 12
				tok, err := s.Token(context.Background(), fmt.Sprint("icfg_t", k))
				switch {
				case k >= 10 && apperr.KindOf(err) != apperr.NotFound:
					t.Errorf("unknown installation %d: %q %v, want NotFound", k, tok, err)
				case k < 10 && (err != nil || tok != fmt.Sprint("token-", k)):
					t.Errorf("installation %d: %q %v", k, tok, err)
				}
			})
		}
		wg.Wait()
	})
}
