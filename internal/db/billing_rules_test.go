package db_test

import (
	"context"
	"fmt"
	"io/fs"
	"math"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/billing"
	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/db/dbtest"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// TestDrawsNeverTakeABalanceBelowZero: a 95.10 balance meets 30,000.00 of
// usage. The balance stops at zero and the rest is uncovered; concurrent
// draws of one amount account it once; a decrease gives back the
// uncovered part first.
func TestDrawsNeverTakeABalanceBelowZero(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		installOne(t, d)
		s := db.NewBilling(d)
		p := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
		if _, err := db.NewBalances(d).CreditInvoice(ctx, "icfg_1", "inv_1", []installations.Credit{{ResourceID: "r", Cents: 9510}}); err != nil {
			t.Fatal(err)
		}
		var exhausted sync.Map
		announce := func(_ context.Context, _ installations.Tx, drawn []installations.Drawn) error {
			for _, dr := range drawn {
				if dr.Exhausted {
					exhausted.Store(fmt.Sprint(dr.Cents, "/", dr.Uncovered), true)
				}
			}
			return nil
		}
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				if _, err := s.Draw(ctx, "icfg_1", p, []billing.Draw{{ResourceID: "r", Cents: 3000000}}, announce); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		check := func(step string, cents, drawn, uncovered int64) {
			t.Helper()
			res, err := s.Draw(ctx, "icfg_1", p, []billing.Draw{{ResourceID: "r", Cents: cents}}, nil)
			if err != nil || len(res.Balances) != 1 || len(res.Drawn) != 1 {
				t.Fatalf("%s: %+v %v", step, res, err)
			}
			if res.Balances[0].Cents != 9510-drawn || res.Drawn[0].Cents != drawn || res.Drawn[0].Uncovered != uncovered || res.Drawn[0].Exhausted {
				t.Errorf("%s: balance %d, drawn %+v; want balance %d, drawn %d, uncovered %d",
					step, res.Balances[0].Cents, res.Drawn[0], 9510-drawn, drawn, uncovered)
			}
		}
		check("after four concurrent draws", 3000000, 9510, 2990490)
		n := 0
		exhausted.Range(func(k, _ any) bool { n++; return k == "9510/2990490" })
		if n != 1 {
			t.Errorf("exhaustion announced %d times, want once with 9510/2990490", n)
		}
		check("more usage", 3000100, 9510, 2990590)
		check("usage went down", 5000, 5000, 0)
		check("and up again within the balance", 9000, 9000, 0)
	})
}

// TestCreditBeyondInt64IsRefusedAndKeepsNothing: credits whose sum (or
// whose sum with the balance) leaves int64 cents are Unprocessable, and
// nothing of that invoice is kept.
func TestCreditBeyondInt64IsRefusedAndKeepsNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		installOne(t, d)
		b := db.NewBalances(d)
		half := int64(5e18)
		_, err := b.CreditInvoice(ctx, "icfg_1", "inv_huge", []installations.Credit{{ResourceID: "r", Cents: half}, {ResourceID: "r", Cents: half}})
		if apperr.KindOf(err) != apperr.Unprocessable {
			t.Fatalf("two halves of too much: %v, want Unprocessable", err)
		}
		if bal, err := b.Balances(ctx, "icfg_1"); err != nil || len(bal) != 0 {
			t.Fatalf("balances after the refusal = %+v, %v; want none", bal, err)
		}
		if _, err := b.CreditInvoice(ctx, "icfg_1", "inv_big", []installations.Credit{{ResourceID: "r", Cents: math.MaxInt64 - 5}}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.CreditInvoice(ctx, "icfg_1", "inv_more", []installations.Credit{{ResourceID: "r", Cents: 6}}); apperr.KindOf(err) != apperr.Unprocessable {
			t.Fatalf("credit past the top: %v, want Unprocessable", err)
		}
		res, err := b.CreditInvoice(ctx, "icfg_1", "inv_more", []installations.Credit{{ResourceID: "r", Cents: 5}})
		if err != nil || len(res.Balances) != 1 || res.Balances[0].Cents != math.MaxInt64 {
			t.Fatalf("the same invoice id later, within range: %+v %v", res, err)
		}
	})
}

// TestDeletedResourceIsKeptForBillingOnly: deleting a resource keeps a
// record for billing; the resource store no longer has it, and its id may
// be used again.
func TestDeletedResourceIsKeptForBillingOnly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		installOne(t, d)
		clock := time.Date(2027, 1, 10, 0, 0, 0, 0, time.UTC)
		d.Now = func() time.Time { return clock }
		rs, bs := db.NewResources(d), db.NewBilling(d)
		put := func() {
			if _, err := rs.PutResource(ctx, installations.Resource{ID: "db_1", InstallationID: "icfg_1", ProductID: "p",
				Name: "main", Status: "ready", BillingPlanID: "pro"}); err != nil {
				t.Fatal(err)
			}
		}
		del := func() {
			if err := d.InTx(ctx, func(tx installations.Tx) error { return tx.DeleteResource(ctx, "icfg_1", "db_1") }); err != nil {
				t.Fatal(err)
			}
		}
		put()
		clock = clock.Add(24 * time.Hour)
		del()
		if _, err := rs.GetResource(ctx, "icfg_1", "db_1"); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("deleted resource still found: %v", err)
		}
		if list, err := rs.ListResources(ctx, "icfg_1"); err != nil || len(list) != 0 {
			t.Errorf("deleted resource still listed: %+v %v", list, err)
		}
		clock = clock.Add(time.Hour)
		put() // the same id again
		clock = clock.Add(time.Hour)
		del()
		gone, err := bs.DeletedResources(ctx, "icfg_1", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
		if err != nil || len(gone) != 2 {
			t.Fatalf("deleted resources = %+v, %v; want both lives", gone, err)
		}
		if !gone[0].CreatedAt.Equal(time.Date(2027, 1, 10, 0, 0, 0, 0, time.UTC)) || !gone[0].DeletedAt.Equal(time.Date(2027, 1, 11, 0, 0, 0, 0, time.UTC)) ||
			gone[0].BillingPlanID != "pro" || gone[1].DeletedAt.Before(gone[0].DeletedAt) {
			t.Errorf("deleted resources = %+v", gone)
		}
		if later, _ := bs.DeletedResources(ctx, "icfg_1", time.Date(2027, 1, 11, 0, 0, 0, 0, time.UTC)); len(later) != 1 {
			t.Errorf("deleted after the 11th = %+v, want the second life only", later)
		}
	})
}

// TestBillingCursorOnlyMovesForward and a refused invoice's run moves to
// one new delivery, however many operators re-queue it.
func TestBillingCursorAndRequeue(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		installOne(t, d)
		s := db.NewBilling(d)
		jan, mar := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
		if _, ok, err := s.NextPeriod(ctx, "icfg_1"); ok || err != nil {
			t.Fatalf("cursor before any: %v %v", ok, err)
		}
		for _, next := range []time.Time{mar, jan} {
			if err := s.SettleThrough(ctx, "icfg_1", next); err != nil {
				t.Fatal(err)
			}
		}
		if next, ok, err := s.NextPeriod(ctx, "icfg_1"); !ok || err != nil || !next.Equal(mar) {
			t.Errorf("cursor = %s %v %v, want March", next, ok, err)
		}
		claim := func(fn func(installations.BillingTx) (bool, error)) bool {
			var ok bool
			if err := d.InTx(ctx, func(tx installations.Tx) (err error) {
				ok, err = fn(tx.(installations.BillingTx))
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return ok
		}
		claim(func(tx installations.BillingTx) (bool, error) {
			return tx.ClaimInvoiceRun(ctx, installations.InvoiceRun{InstallationID: "icfg_1", PeriodStart: jan,
				PeriodEnd: jan.AddDate(0, 1, 0), ExternalID: "x", DeliveryID: "dlv_1", Total: "1.00"})
		})
		var wins int
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Go(func() {
				if claim(func(tx installations.BillingTx) (bool, error) {
					return tx.RequeueInvoiceRun(ctx, "icfg_1", jan, "dlv_1", fmt.Sprintf("dlv_new%d", i), "2.00")
				}) {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		run, _, err := s.InvoiceRun(ctx, "icfg_1", jan)
		if wins != 1 || err != nil || run.Requeues != 1 || run.PreviousDeliveryID != "dlv_1" || run.Total != "2.00" || run.DeliveryID == "dlv_1" {
			t.Errorf("%d re-queues won; run %+v %v; want one, from dlv_1", wins, run, err)
		}
	})
}

// TestUpgradeSettlesPeriodsBeforeThePreviousMonth: installations billed by
// an earlier version (which invoiced only the previous month) start their
// cursor at the previous month of the upgrade.
func TestUpgradeSettlesPeriodsBeforeThePreviousMonth(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		installOne(t, d)
		name := "migrations/0031_billing_cursors." + d.Driver + ".sql"
		body, err := fs.ReadFile(db.Migrations, name)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.MigrateFS(ctx, fstest.MapFS{"migrations/9031_again." + d.Driver + ".sql": sqlFile(string(body))}); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		want := time.Date(now.Year(), now.Month()-1, 1, 0, 0, 0, 0, time.UTC)
		if next, ok, err := db.NewBilling(d).NextPeriod(ctx, "icfg_1"); !ok || err != nil || !next.Equal(want) {
			t.Errorf("cursor = %s %v %v, want %s", next, ok, err, want)
		}
	})
}
