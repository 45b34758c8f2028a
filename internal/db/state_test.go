package db_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/db/dbtest"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vault"
)

// TestANewerDeliverySupersedesOnlyUnleasedOnes: recording a delivery with
// a latest key ends the pending ones with that key that no attempt
// holds; a leased one, other keys and other states stay.
func TestANewerDeliverySupersedesOnlyUnleasedOnes(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		installOne(t, d)
		s := db.NewDeliveries(d)
		now := time.Now().Truncate(time.Millisecond)
		put := func(id, latest, owner string) {
			t.Helper()
			_, _, err := s.InsertDelivery(ctx, installations.Delivery{ID: id, InstallationID: "icfg_1", Operation: "updateResource",
				OrderKey: "icfg_1|state|r", LatestKey: latest, CreatedAt: now, NextAttemptAt: now, Body: "{}"}, owner, now.Add(time.Minute), nil)
			if err != nil {
				t.Fatal(err)
			}
		}
		put("leased", "icfg_1|state|r|notification", "req_1") // an attempt holds it
		put("waiting", "icfg_1|state|r|notification", "")
		put("status", "icfg_1|state|r|status", "")
		put("newest", "icfg_1|state|r|notification", "")
		want := map[string]string{"leased": installations.DeliveryPending, "waiting": installations.DeliverySuperseded,
			"status": installations.DeliveryPending, "newest": installations.DeliveryPending}
		for id, st := range want {
			got, err := s.GetDelivery(ctx, id)
			if err != nil || got.Status != st {
				t.Errorf("%s: %s %v, want %s", id, got.Status, err, st)
			}
			if st == installations.DeliverySuperseded && (got.FinishedAt == nil || got.LastError != "superseded by newest") {
				t.Errorf("%s: %+v, want finished and naming its successor", id, got)
			}
		}
	})
}

// TestDunningCasesFollowPayments: the first failure opens a case (known
// when the invoice was recorded first), repeats only count, a payment
// closes it, a failure older than the payment changes nothing and a
// newer one opens it again.
func TestDunningCasesFollowPayments(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		installOne(t, d)
		store := db.NewDunning(d)
		t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		if err := db.NewInvoices(d).PutInvoice(ctx, installations.Invoice{InstallationID: "icfg_1", ID: "inv_known", State: "pending"}); err != nil {
			t.Fatal(err)
		}
		step := func(fn func(tx installations.Tx) error) {
			t.Helper()
			if err := d.InTx(ctx, fn); err != nil {
				t.Fatal(err)
			}
		}
		open := func() map[string]installations.DunningCase {
			t.Helper()
			list, err := store.OpenDunningCases(ctx, "icfg_1")
			if err != nil {
				t.Fatal(err)
			}
			m := map[string]installations.DunningCase{}
			for _, c := range list {
				m[c.InvoiceID] = c
			}
			return m
		}
		step(func(tx installations.Tx) error { return tx.InvoiceFailed(ctx, "icfg_1", "inv_known", "notpaid", t0) })
		step(func(tx installations.Tx) error { return tx.InvoiceFailed(ctx, "icfg_1", "inv_unknown", "notpaid", t0) })
		step(func(tx installations.Tx) error {
			return tx.InvoiceFailed(ctx, "icfg_1", "inv_known", "overdue", t0.Add(48*time.Hour))
		})
		cases := open()
		if c := cases["inv_known"]; !c.Known || c.Failures != 2 || c.LastKind != "overdue" || !c.FirstFailedAt.Equal(t0) {
			t.Errorf("known case %+v, want 2 failures from t0", c)
		}
		if c := cases["inv_unknown"]; c.Known {
			t.Errorf("a failure of an invoice never recorded is known: %+v", c)
		}
		step(func(tx installations.Tx) error {
			return tx.InvoicePaid(ctx, "icfg_1", "inv_known", t0.Add(72*time.Hour))
		})
		step(func(tx installations.Tx) error {
			return tx.InvoiceFailed(ctx, "icfg_1", "inv_known", "notpaid", t0.Add(60*time.Hour)) // redelivered late
		})
		if _, ok := open()["inv_known"]; ok {
			t.Error("a failure older than the payment opened the case again")
		}
		step(func(tx installations.Tx) error {
			return tx.InvoiceFailed(ctx, "icfg_1", "inv_known", "notpaid", t0.Add(96*time.Hour))
		})
		if c, ok := open()["inv_known"]; !ok || !c.FirstFailedAt.Equal(t0.Add(96*time.Hour)) || c.EscalatedAt != nil {
			t.Errorf("a new failure after the payment: %+v, want the case open again from it", c)
		}
		step(func(tx installations.Tx) error { return tx.InvoicePaid(ctx, "icfg_1", "inv_never_failed", t0) })
		step(func(tx installations.Tx) error {
			return tx.InvoiceFailed(ctx, "icfg_1", "inv_never_failed", "notpaid", t0.Add(-time.Hour))
		})
		if _, ok := open()["inv_never_failed"]; ok {
			t.Error("a failure arriving after the payment it preceded opened a case")
		}
		ids, err := store.InstallationsInDunning(ctx)
		if err != nil || !slices.Equal(ids, []string{"icfg_1"}) {
			t.Errorf("in dunning %q %v", ids, err)
		}
	})
}

// TestInstallationStateFromWebhooks: transfers, scopes and projects are
// kept and read back.
func TestInstallationStateFromWebhooks(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		installOne(t, d)
		err := d.InTx(ctx, func(tx installations.Tx) error {
			if err := tx.MoveInstallation(ctx, "icfg_1", "team_new", "acc_new"); err != nil {
				return err
			}
			if err := tx.SetInstallationScopes(ctx, "icfg_1", []string{"read:project", "read-write:integration-resource"}); err != nil {
				return err
			}
			if err := tx.SetInstallationProjects(ctx, "icfg_1", "selected", []string{"prj_a", "prj_b"}, nil); err != nil {
				return err
			}
			if err := tx.SetInstallationProjects(ctx, "icfg_1", "", []string{"prj_c", "prj_a"}, []string{"prj_b"}); err != nil {
				return err
			}
			return tx.SetInstallationNotification(ctx, "icfg_1", json.RawMessage(`{"level":"info","title":"Hi"}`))
		})
		if err != nil {
			t.Fatal(err)
		}
		in, err := db.NewInstallations(d, nil).Get(ctx, "icfg_1")
		if err != nil {
			t.Fatal(err)
		}
		if in.TeamID != "team_new" || in.AccountID != "acc_new" || !slices.Equal(in.Scopes, []string{"read:project", "read-write:integration-resource"}) ||
			in.ProjectSelection != "selected" || !slices.Equal(in.Projects, []string{"prj_a", "prj_c"}) || string(in.Notification) != `{"level":"info","title":"Hi"}` {
			t.Errorf("installation %+v", in)
		}
		err = d.InTx(ctx, func(tx installations.Tx) error { return tx.MoveInstallation(ctx, "icfg_none", "t", "a") })
		if apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("moving an unknown installation: %v, want NotFound", err)
		}
	})
}

// TestRotationStepsAreRecorded: a started rotation keeps a second one
// out until its lease ends; storing the new token keeps the old one
// sealed to be revoked; a token replaced meanwhile is never overwritten.
func TestRotationStepsAreRecorded(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		v, _ := vault.New(make([]byte, 32))
		insts := db.NewInstallations(d, v)
		if _, err := insts.Upsert(ctx, installations.Upsert{ID: "icfg_1", Credentials: installations.Credentials{AccessToken: "old", TokenType: "Bearer"}}); err != nil {
			t.Fatal(err)
		}
		s := db.NewCredentials(d, v)
		now := time.Now().Truncate(time.Millisecond)
		if _, err := s.BeginRotation(ctx, "icfg_1", "a", now, now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.BeginRotation(ctx, "icfg_1", "b", now, now.Add(time.Minute)); apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("a second rotation while one runs: %v, want Conflict", err)
		}
		if _, err := s.StoreRotatedToken(ctx, "icfg_1", "b", "stolen", now); apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("storing without the lease: %v, want Conflict", err)
		}
		rot, err := s.StoreRotatedToken(ctx, "icfg_1", "a", "new", now)
		if err != nil || rot.State != installations.RotationRotated || rot.RotatedAt == nil {
			t.Fatalf("stored: %+v %v", rot, err)
		}
		if tok, _ := insts.Token(ctx, "icfg_1"); tok != "new" {
			t.Errorf("token in use %q, want the new one", tok)
		}
		if old, err := s.OldToken(ctx, "icfg_1"); err != nil || old != "old" {
			t.Errorf("old token %q %v", old, err)
		}
		if _, err := s.BeginRotation(ctx, "icfg_1", "c", now.Add(time.Hour), now.Add(time.Hour+time.Minute)); apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("a rotation while the old token waits to be revoked: %v, want Conflict", err)
		}
		if done, err := s.FinishRotation(ctx, "icfg_1", true, now); !done || err != nil {
			t.Fatalf("finish: %v %v", done, err)
		}
		if done, _ := s.FinishRotation(ctx, "icfg_1", true, now); done {
			t.Error("a rotation finished twice")
		}
		if _, err := s.OldToken(ctx, "icfg_1"); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("the old token after the rotation: %v, want it wiped", err)
		}

		// A re-install between the start and the new token: the new token is refused.
		if _, err := s.BeginRotation(ctx, "icfg_1", "d", now, now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := insts.Upsert(ctx, installations.Upsert{ID: "icfg_1", Credentials: installations.Credentials{AccessToken: "reinstalled", TokenType: "Bearer"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.StoreRotatedToken(ctx, "icfg_1", "d", "late", now); apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("a rotation over a re-installed token: %v, want Conflict", err)
		}
		if tok, _ := insts.Token(ctx, "icfg_1"); tok != "reinstalled" {
			t.Errorf("token in use %q, want the re-installed one", tok)
		}
		// Taken over once its lease ends (its process died).
		if _, err := s.BeginRotation(ctx, "icfg_1", "e", now.Add(2*time.Minute), now.Add(3*time.Minute)); err != nil {
			t.Errorf("taking over a rotation whose lease ended: %v", err)
		}
	})
}
