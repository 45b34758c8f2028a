package db_test

import (
	"sync"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/billing"
	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/db/dbtest"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/money"
)

func usageRecord(id, value string, at time.Time) billing.Record {
	return billing.Record{ID: id, ResourceID: "res_1", Meter: "storage", Value: money.MustParse(value), At: at}
}

func TestAddUsageIsIdempotentByID(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		if _, err := db.NewInstallations(d, newVault(t)).Upsert(ctx, upsert); err != nil {
			t.Fatal(err)
		}
		s := db.NewBilling(d)
		at := time.Date(2026, 3, 4, 5, 6, 7, 8e6, time.UTC)
		n, err := s.AddUsage(ctx, "icfg_1", []billing.Record{usageRecord("u1", "1.5", at), usageRecord("u2", "2", at), usageRecord("u1", "1.50", at)})
		if err != nil || n != 2 {
			t.Fatalf("first batch: %d new, %v; want 2", n, err)
		}
		if n, err = s.AddUsage(ctx, "icfg_1", []billing.Record{usageRecord("u2", "2.0", at), usageRecord("u3", "3", at)}); err != nil || n != 1 {
			t.Fatalf("repeat batch: %d new, %v; want 1", n, err)
		}
		_, err = s.AddUsage(ctx, "icfg_1", []billing.Record{usageRecord("u4", "4", at), usageRecord("u1", "9", at)})
		if e, ok := err.(*apperr.Error); !ok || e.Kind != apperr.Conflict || len(e.Fields) != 1 || e.Fields[0].Key != "records[1].id" {
			t.Fatalf("changed record: %v, want a conflict on records[1].id", err)
		}
		got, err := s.Usage(ctx, "icfg_1", at, at.Add(time.Millisecond))
		if err != nil || len(got) != 3 {
			t.Fatalf("usage = %v, %v; want u1..u3 and not u4 of the refused batch", got, err)
		}
		if got[0].ID != "u1" || got[0].Value.String() != "1.5" || !got[0].At.Equal(at) {
			t.Errorf("u1 = %+v", got[0])
		}
	})
}

func TestClaimsAndDrawsHappenOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		if _, err := db.NewInstallations(d, newVault(t)).Upsert(ctx, upsert); err != nil {
			t.Fatal(err)
		}
		s := db.NewBilling(d)
		p := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		claims := 0
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				err := d.InTx(ctx, func(tx installations.Tx) error {
					ok, err := tx.(installations.BillingTx).ClaimInvoiceRun(ctx, installations.InvoiceRun{
						InstallationID: "icfg_1", PeriodStart: p, PeriodEnd: p.AddDate(0, 1, 0), ExternalID: "x", DeliveryID: "d", Total: "1.00"})
					if ok {
						mu.Lock()
						claims++
						mu.Unlock()
					}
					return err
				})
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if run, ok, err := s.InvoiceRun(ctx, "icfg_1", p); claims != 1 || !ok || err != nil || run.Total != "1.00" {
			t.Fatalf("claims = %d, run %+v %v %v; want one", claims, run, ok, err)
		}
		if _, err := db.NewBalances(d).CreditInvoice(ctx, "icfg_1", "inv_1", []installations.Credit{{Cents: 1000}}); err != nil {
			t.Fatal(err)
		}
		for _, cents := range []int64{120, 120, 300} { // period amounts so far
			if _, err := s.Draw(ctx, "icfg_1", p, []billing.Draw{{Cents: cents}}, nil); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Draw(ctx, "icfg_1", p.AddDate(0, 1, 0), []billing.Draw{{Cents: 50}}, nil)
		if err != nil || len(got.Balances) != 1 || got.Balances[0].Cents != 1000-300-50 {
			t.Fatalf("balances = %+v, %v; want 650 cents", got, err)
		}
	})
}
