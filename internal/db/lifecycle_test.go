package db_test

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/db/dbtest"
	"github.com/vercel-partner/partner-server/internal/installations"
)

func TestCreditInvoiceOnceUnderConcurrentRepeats(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		if _, err := db.NewInstallations(d, newVault(t)).Upsert(ctx, upsert); err != nil {
			t.Fatal(err)
		}
		b := db.NewBalances(d)
		credits := []installations.Credit{{ResourceID: "res_1", Cents: 1234}, {Cents: 500}, {ResourceID: "res_1", Cents: 1}}
		const n = 8
		results := make([]installations.CreditResult, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				var err error
				if results[i], err = b.CreditInvoice(ctx, "icfg_1", "inv_1", credits); err != nil {
					t.Errorf("credit %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		want := []installations.Balance{{ResourceID: "res_1", Cents: 1235}, {Cents: 500}}
		for _, r := range results {
			if len(r.Balances) != 2 || r.Balances[0] != want[0] || r.Balances[1] != want[1] || !r.At.Equal(results[0].At) {
				t.Fatalf("results %+v, want each %+v", results, want)
			}
		}
		if _, err := b.CreditInvoice(ctx, "icfg_1", "inv_2", []installations.Credit{{Cents: 100}}); err != nil {
			t.Fatal(err)
		}
		got, err := b.Balances(ctx, "icfg_1")
		if err != nil || len(got) != 2 || got[0].Cents != 600 || got[1].Cents != 1235 {
			t.Errorf("balances %+v %v", got, err)
		}
	})
}

func TestLifecycleTx(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		s := db.NewInstallations(d, newVault(t))
		if _, err := s.Upsert(ctx, upsert); err != nil {
			t.Fatal(err)
		}
		res := db.NewResources(d)
		if _, err := res.PutResource(ctx, installations.Resource{ID: "res_1", InstallationID: "icfg_1", ProductID: "p", Name: "n", Status: "ready"}); err != nil {
			t.Fatal(err)
		}
		if in, err := s.MarkDeleted(ctx, "icfg_1", false); err != nil || in.Status != installations.StatusPendingFinalization {
			t.Fatalf("mark deleted: %+v %v", in, err)
		}
		err := d.InTx(ctx, func(tx installations.Tx) error {
			if err := tx.DeleteResource(ctx, "icfg_1", "res_1"); err != nil {
				return err
			}
			return tx.FinalizeInstallation(ctx, "icfg_1")
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := res.GetResource(ctx, "icfg_1", "res_1"); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("deleted resource: %v", err)
		}
		in, _ := s.Get(ctx, "icfg_1")
		if _, err := s.Token(ctx, "icfg_1"); in.Status != installations.StatusDeleted || err == nil {
			t.Errorf("finalized: %s, token err %v", in.Status, err)
		}
		err = d.InTx(ctx, func(tx installations.Tx) error { return tx.DeleteResource(ctx, "icfg_1", "res_1") })
		if apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("second delete: %v", err)
		}
	})
}

// TestUpsertOfAFinalizedInstallationStartsOver: the old resources, their
// prepaid balances, what billing kept of deleted ones and the plan are
// gone; an installation pending
// finalization, or one never uninstalled, keeps them on an upsert.
func TestUpsertOfAFinalizedInstallationStartsOver(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		var mu sync.Mutex
		clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		d.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
		s := db.NewInstallations(d, newVault(t))
		res := db.NewResources(d)
		setUp := func(wipe bool) {
			if _, err := s.Upsert(ctx, upsert); err != nil {
				t.Fatal(err)
			}
			if _, err := s.SetPlan(ctx, "icfg_1", "team"); err != nil {
				t.Fatal(err)
			}
			if _, err := res.PutResource(ctx, installations.Resource{ID: "res_1", InstallationID: "icfg_1", ProductID: "p", Name: "n", Status: "ready"}); err != nil {
				t.Fatal(err)
			}
			if _, err := db.NewBalances(d).CreditInvoice(ctx, "icfg_1", "inv_"+t.Name()+strconv.FormatBool(wipe),
				[]installations.Credit{{ResourceID: "res_1", Cents: 100}}); err != nil {
				t.Fatal(err)
			}
			if _, err := res.PutResource(ctx, installations.Resource{ID: "res_gone", InstallationID: "icfg_1", ProductID: "p", Name: "gone", Status: "ready"}); err != nil {
				t.Fatal(err)
			}
			if err := d.InTx(ctx, func(tx installations.Tx) error { return tx.DeleteResource(ctx, "icfg_1", "res_gone") }); err != nil {
				t.Fatal(err)
			}
			if err := d.InTx(ctx, func(tx installations.Tx) error {
				if err := tx.MoveInstallation(ctx, "icfg_1", "team_old", "acc_old"); err != nil {
					return err
				}
				if err := tx.InvoiceFailed(ctx, "icfg_1", "inv_unpaid", "notpaid", clock); err != nil {
					return err
				}
				return tx.SetDunningNotice(ctx, "icfg_1", []byte(`{"level":"warn","title":"t"}`))
			}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.MarkDeleted(ctx, "icfg_1", wipe); err != nil {
				t.Fatal(err)
			}
		}

		setUp(false) // pending finalization: an upsert keeps everything
		in, err := s.Upsert(ctx, upsert)
		if err != nil || in.BillingPlanID != "team" {
			t.Fatalf("upsert while pending finalization: %+v %v, want the plan kept", in, err)
		}
		if list, _ := res.ListResources(ctx, "icfg_1"); len(list) != 1 {
			t.Fatalf("resources %+v, want res_1 kept", list)
		}

		setUp(true) // finalized: an upsert is a new installation
		mu.Lock()
		clock = clock.Add(time.Hour)
		mu.Unlock()
		if in, err = s.Upsert(ctx, upsert); err != nil {
			t.Fatal(err)
		}
		if in.BillingPlanID != "" || in.Status != installations.StatusActive || !in.CreatedAt.Equal(clock) || in.TeamID != "" {
			t.Errorf("reinstalled %+v, want active, created now, with no plan and no team", in)
		}
		if ids, _ := db.NewDunning(d).InstallationsInDunning(ctx); len(ids) != 0 {
			t.Errorf("the old installation's dunning goes on for %q", ids)
		}
		if list, _ := res.ListResources(ctx, "icfg_1"); len(list) != 0 {
			t.Errorf("resources %+v, want none", list)
		}
		if bal, _ := db.NewBalances(d).Balances(ctx, "icfg_1"); len(bal) != 0 {
			t.Errorf("balances %+v, want none", bal)
		}
		if gone, err := db.NewBilling(d).DeletedResources(ctx, "icfg_1", time.Time{}); err != nil || len(gone) != 0 {
			t.Errorf("deleted resources still billed: %+v %v", gone, err)
		}
	})
}
