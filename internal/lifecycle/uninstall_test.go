package lifecycle_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/billing"
	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/db/dbtest"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/lifecycle"
)

// deleteResource deletes the installation's resource as Vercel's DELETE
// does (it is kept for billing in deleted_resources, deleted now).
func (e *env) deleteResource(t *testing.T, id, resourceID string) {
	t.Helper()
	if err := e.db.InTx(t.Context(), func(tx installations.Tx) error {
		return tx.DeleteResource(t.Context(), id, resourceID)
	}); err != nil {
		t.Fatal(err)
	}
}

func (e *env) addResource(t *testing.T, id, resourceID, plan string) {
	t.Helper()
	if _, err := e.res.PutResource(t.Context(), installations.Resource{ID: resourceID, InstallationID: id, ProductID: "postgres",
		Name: resourceID, BillingPlanID: plan, Status: "ready"}); err != nil {
		t.Fatal(err)
	}
}

// TestUninstallCountsWhatIsStillToBill: an uninstall finalizes at once only
// when nothing can be billed any more; a resource deleted earlier in a
// period not yet settled, on a paid plan or with usage, keeps the
// installation pending finalization for its final invoice.
func TestUninstallCountsWhatIsStillToBill(t *testing.T) {
	t.Parallel()
	for name, open := range map[string]func(testing.TB) *db.DB{"sqlite": dbtest.SQLite, "postgres": dbtest.Postgres} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cases := []struct {
				name      string
				setup     func(t *testing.T, e *env, id string)
				finalized bool
			}{
				{"only free resources", func(*testing.T, *env, string) {}, true},
				{"a paid resource deleted this period", func(t *testing.T, e *env, id string) {
					e.addResource(t, id, "res_gone_"+id, "pro")
					e.deleteResource(t, id, "res_gone_"+id)
				}, false},
				{"a paid resource deleted in a settled period", func(t *testing.T, e *env, id string) {
					e.addResource(t, id, "res_gone_"+id, "pro")
					e.deleteResource(t, id, "res_gone_"+id)
					_, end := billing.Period(now)
					if err := e.usage.SettleThrough(t.Context(), id, end); err != nil {
						t.Fatal(err)
					}
				}, true},
				{"a free resource deleted after its usage", func(t *testing.T, e *env, id string) {
					e.addResource(t, id, "res_used_"+id, "free-metered")
					if _, _, err := e.svc.AddUsage(t.Context(), id, []lifecycle.UsageRecord{{ID: "u1", ResourceID: "res_used_" + id,
						Meter: "storage", Value: json.RawMessage("3"), At: now.Add(-time.Hour).Format(time.RFC3339)}}); err != nil {
						t.Fatal(err)
					}
					e.deleteResource(t, id, "res_used_"+id)
				}, false},
				{"a paid resource live", func(t *testing.T, e *env, id string) { e.addResource(t, id, "res_paid_"+id, "pro") }, false},
			}
			e := newEnv(t, open)
			for i, tc := range cases {
				id := "icfg_" + string(rune('a'+i))
				e.install(t, id, "free")
				tc.setup(t, e, id)
				finalized, err := e.svc.Uninstall(t.Context(), id)
				want := installations.StatusPendingFinalization
				if tc.finalized {
					want = installations.StatusDeleted
				}
				if err != nil || finalized != tc.finalized || e.status(t, id) != want {
					t.Errorf("%s: finalized %v %v, status %s; want %v, %s", tc.name, finalized, err, e.status(t, id), tc.finalized, want)
				}
			}
		})
	}
}

// TestUsageRefusedOnceTheFinalInvoiceIsQueued: usage for an installation
// pending finalization is taken until its final invoice (or, owing
// nothing, its finalization) is queued; then it would never be billed,
// so it is refused with 409 and nothing is kept.
func TestUsageRefusedOnceTheFinalInvoiceIsQueued(t *testing.T) {
	t.Parallel()
	start, end := billing.Period(now)
	for _, tc := range []struct {
		name  string
		queue func(ctx context.Context, tx installations.BillingTx, id string) (bool, error)
	}{
		{"final invoice queued", func(ctx context.Context, tx installations.BillingTx, id string) (bool, error) {
			return tx.ClaimInvoiceRun(ctx, installations.InvoiceRun{InstallationID: id, PeriodStart: start, PeriodEnd: end,
				ExternalID: id + "-final", DeliveryID: "dlv_final", Final: true, Total: "1.00"})
		}},
		{"finalization queued", func(ctx context.Context, tx installations.BillingTx, id string) (bool, error) {
			return tx.ClaimMark(ctx, id, installations.MarkFinalize, start, "dlv_finalize")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, dbtest.SQLite)
			e.install(t, "icfg_1", "metered")
			if _, err := e.svc.Uninstall(t.Context(), "icfg_1"); err != nil {
				t.Fatal(err)
			}
			record := func(id string) []lifecycle.UsageRecord {
				return []lifecycle.UsageRecord{{ID: id, ResourceID: "res_icfg_1", Meter: "storage",
					Value: json.RawMessage("2"), At: now.Add(-time.Hour).Format(time.RFC3339)}}
			}
			if _, added, err := e.svc.AddUsage(t.Context(), "icfg_1", record("before")); err != nil || added != 1 {
				t.Fatalf("usage while the final invoice waits: %d %v", added, err)
			}
			if err := e.db.InTx(t.Context(), func(tx installations.Tx) error {
				ok, err := tc.queue(t.Context(), tx.(installations.BillingTx), "icfg_1")
				if err == nil && !ok {
					err = errors.New("not claimed")
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
			_, _, err := e.svc.AddUsage(t.Context(), "icfg_1", record("after"))
			if !errors.Is(err, lifecycle.ErrBilledToTheEnd) || apperr.KindOf(err) != apperr.Conflict {
				t.Errorf("usage after the final invoice was queued: %v, want 409 final_invoice_queued", err)
			}
			if got, _ := e.usage.Usage(t.Context(), "icfg_1", start, end); len(got) != 1 || got[0].ID != "before" {
				t.Errorf("ledger holds %+v, want only the record taken before", got)
			}
		})
	}
}
