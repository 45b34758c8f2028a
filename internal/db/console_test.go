package db_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/db/dbtest"
	"github.com/vercel-partner/partner-server/internal/installations"
)

func TestAuditLogKeepsCommitOrderAndPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		s := db.NewAudit(d)
		var wg sync.WaitGroup
		// More at once than one batch holds: they share transactions.
		const n = 250
		for i := range n {
			wg.Go(func() {
				if err := s.AppendAudit(ctx, installations.AuditEntry{At: time.Now(), Actor: "token-1", ActorKind: installations.AuditToken,
					Action: fmt.Sprintf("act-%03d", i), Target: "bad\x00text\xff"}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		all, err := s.AuditAfter(ctx, 0, 1000)
		if err != nil || len(all) != n {
			t.Fatalf("%d entries, %v", len(all), err)
		}
		seen := map[string]bool{}
		for _, e := range all {
			seen[e.Action] = true
		}
		if len(seen) != n {
			t.Errorf("%d distinct entries of %d", len(seen), n)
		}
		ids := map[int64]bool{}
		for _, e := range all {
			if ids[e.ID] {
				t.Errorf("id %d twice", e.ID)
			}
			ids[e.ID] = true
			if e.Target != "bad\uFFFDtext\uFFFD" {
				t.Errorf("target %q: text a database cannot store is replaced", e.Target)
			}
		}
		page, _ := s.AuditAfter(ctx, all[4].ID, 3)
		if len(page) != 3 || page[0].ID != all[5].ID {
			t.Errorf("after %d: %+v", all[4].ID, page)
		}
		back, _ := s.AuditBefore(ctx, 0, 2)
		if len(back) != 2 || back[0].ID != all[n-1].ID || back[1].ID != all[n-2].ID {
			t.Errorf("newest first: %+v", back)
		}
		back, _ = s.AuditBefore(ctx, all[1].ID, 10)
		if len(back) != 1 || back[0].ID != all[0].ID {
			t.Errorf("before %d: %+v", all[1].ID, back)
		}
	})
}

// An entry appended in a write's transaction that began first and
// commits last is held back until it ends, then read before the entries
// committed meanwhile; a rolled-back one never shows. Pages back agree.
func TestAuditLogHoldsBackALateCommit(t *testing.T) {
	t.Parallel()
	d := dbtest.Postgres(t)
	s := db.NewAudit(d)
	s.SetWait(10 * time.Second) // other tests' transactions may hold the log back for a moment
	if err := s.AppendAudit(t.Context(), installations.AuditEntry{At: time.Now(), Actor: "a", Action: "first"}); err != nil {
		t.Fatal(err)
	}
	got, cursor := readAudit(t, s, 0)
	if fmt.Sprint(got) != "[first]" {
		t.Fatalf("read %v, want [first]", got)
	}
	slow := holdAudit(t, d, "slow-1", "slow-2")
	undone := holdAudit(t, d, "undone")
	if err := s.AppendAudit(t.Context(), installations.AuditEntry{At: time.Now(), Actor: "a", Action: "fast"}); err != nil {
		t.Fatal(err)
	}
	undone.end(t, true)
	s.SetWait(0)
	if got, c := readAudit(t, s, cursor); len(got) != 0 || c != cursor {
		t.Fatalf("read %v while an older transaction is open, want nothing", got)
	}
	s.SetWait(10 * time.Second)
	slow.end(t, false)
	got, cursor = readAudit(t, s, cursor)
	if fmt.Sprint(got) != "[slow-1 slow-2 fast]" {
		t.Fatalf("read %v, want [slow-1 slow-2 fast]", got)
	}
	if got, _ := readAudit(t, s, cursor); len(got) != 0 {
		t.Fatalf("read %v again", got)
	}
	back, err := s.AuditBefore(t.Context(), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range back {
		names = append(names, e.Action)
	}
	if fmt.Sprint(names) != "[fast slow-2 slow-1 first]" {
		t.Errorf("newest first: %v", names)
	}
}

// holdAudit is hold for audit entries: a transaction that appended them
// and stays open until it is ended.
func holdAudit(t *testing.T, d *db.DB, actions ...string) *held {
	t.Helper()
	return holdWith(t, d, func(tx installations.Tx) error {
		for _, a := range actions {
			if err := tx.AppendAudit(context.Background(), installations.AuditEntry{At: time.Now(), Actor: "a", Action: a}); err != nil {
				return err
			}
		}
		return nil
	})
}

func readAudit(t *testing.T, s *db.Audit, after int64) ([]string, int64) {
	t.Helper()
	list, err := s.AuditAfter(t.Context(), after, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range list {
		out = append(out, e.Action)
		after = e.ID
	}
	return out, after
}

func TestStaffSignInIsTakenOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		s := db.NewStaff(d)
		now := time.Now().Truncate(time.Millisecond)
		if err := s.PutStaffLogin(ctx, "state-hash", installations.StaffLogin{Nonce: "n", Verifier: "v", ExpiresAt: now.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		got := 0
		for range 5 {
			wg.Go(func() {
				l, err := s.TakeStaffLogin(ctx, "state-hash")
				if err == nil && l.Nonce == "n" && l.Verifier == "v" {
					mu.Lock()
					got++
					mu.Unlock()
				} else if apperr.KindOf(err) != apperr.NotFound {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if got != 1 {
			t.Errorf("the sign-in was taken %d times", got)
		}
		se := installations.StaffSession{Email: "ops@partner.example", Role: installations.StaffOperator, CreatedAt: now,
			LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := s.CreateStaffSession(ctx, "sid-hash", se); err != nil {
			t.Fatal(err)
		}
		if back, err := s.GetStaffSession(ctx, "sid-hash"); err != nil || back.Email != se.Email || back.Role != se.Role ||
			!back.ExpiresAt.Equal(se.ExpiresAt) || !back.LastSeenAt.Equal(se.LastSeenAt) {
			t.Errorf("session %+v %v, want %+v", back, err, se)
		}
		s.PutStaffLogin(ctx, "old", installations.StaffLogin{ExpiresAt: now.Add(-time.Second)})
		if n, err := s.DeleteExpiredStaff(ctx, now, now.Add(-time.Minute)); err != nil || n != 1 {
			t.Errorf("swept %d, %v; want the expired sign-in only", n, err)
		}
		if n, _ := s.DeleteExpiredStaff(ctx, now.Add(2*time.Hour), now); n != 1 {
			t.Errorf("swept %d, want the expired session", n)
		}
		if _, err := s.GetStaffSession(ctx, "sid-hash"); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("expired session: %v", err)
		}
	})
}

func TestSearchFindsInstallationsByIdNameAndEmails(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		inst := db.NewInstallations(d, newVault(t))
		for _, u := range []installations.Upsert{
			{ID: "icfg_Alpha1", Account: installations.Account{Name: "Acme 100% Corp", ContactEmail: "ada@acme.dev"}},
			{ID: "icfg_beta_2", Account: installations.Account{Name: "Globex", ContactEmail: "hank@globex.example"}},
		} {
			u.Credentials = installations.Credentials{AccessToken: "t", TokenType: "Bearer"}
			if _, err := inst.Upsert(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		dir := db.NewDirectory(d)
		if err := dir.SeenMember(ctx, installations.Member{InstallationID: "icfg_beta_2", UserID: "u1", Email: "Grace@Globex.example",
			Role: "USER", LastSeenAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			q    string
			want []string
		}{
			{"", []string{"icfg_beta_2", "icfg_Alpha1"}},
			{"icfg_alpha1", []string{"icfg_Alpha1"}},
			{"  ACME ", []string{"icfg_Alpha1"}},
			{"ada@acme.dev", []string{"icfg_Alpha1"}},
			{"grace@globex", []string{"icfg_beta_2"}},
			{"100%", []string{"icfg_Alpha1"}},
			{"%", []string{"icfg_Alpha1"}},
			{"icfg__", nil},
			{`\`, nil},
			{"'; DROP TABLE installations; --", nil},
			{"a\x00b\xff\xfe", nil},
			{strings.Repeat("é", 5000), nil},
		} {
			got, err := dir.SearchInstallations(ctx, tc.q, 10)
			if err != nil {
				t.Errorf("search %.40q: %v", tc.q, err)
				continue
			}
			var ids []string
			for _, in := range got {
				ids = append(ids, in.ID)
			}
			if !slices.Equal(ids, tc.want) {
				t.Errorf("search %.40q: %q, want %q", tc.q, ids, tc.want)
			}
		}
	})
}

func TestRetryBringsADeadDeliveryBackUnlessOvertaken(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		installOne(t, d)
		s := db.NewDeliveries(d)
		now := time.Now().Truncate(time.Millisecond)
		put := func(id, key, status string) installations.Delivery {
			t.Helper()
			dl, _, err := s.InsertDelivery(ctx, installations.Delivery{ID: id, InstallationID: "icfg_1", Operation: "createEvent",
				OrderKey: key, Status: installations.DeliveryPending, CreatedAt: now, NextAttemptAt: now, Body: "{}"}, "o-"+id, now.Add(time.Minute), nil)
			if err != nil {
				t.Fatal(err)
			}
			if status != installations.DeliveryPending {
				dl.Status, dl.Attempts, dl.UpdatedAt, dl.FinishedAt = status, 1, now, &now
				if ok, err := s.FinishDelivery(ctx, dl, "o-"+id, nil); !ok || err != nil {
					t.Fatalf("finish %s: %v %v", id, ok, err)
				}
			}
			return dl
		}
		put("d_dead", "k1", installations.DeliveryDead)
		later := now.Add(time.Hour)
		got, err := s.RetryDelivery(ctx, "d_dead", later)
		if err != nil || got.Status != installations.DeliveryPending || !got.RetriedAt.Equal(later) ||
			!got.NextAttemptAt.Equal(later) || got.FinishedAt != nil || !got.AgeFrom().Equal(later) {
			t.Fatalf("retried dead delivery: %+v %v", got, err)
		}

		put("d_dead2", "k2", installations.DeliveryDead)
		put("d_newer", "k2", installations.DeliveryDelivered)
		if _, err := s.RetryDelivery(ctx, "d_dead2", later); apperr.KindOf(err) != apperr.Conflict || !strings.Contains(err.Error(), "undo") {
			t.Errorf("a dead delivery overtaken by a delivered one: %v, want Conflict", err)
		}
		wiped := put("d_wiped", "k5", installations.DeliveryPending)
		wiped.Status, wiped.Body, wiped.UpdatedAt, wiped.FinishedAt = installations.DeliveryDead, "", now, &now
		if ok, err := s.FinishDelivery(ctx, wiped, "o-d_wiped", nil); !ok || err != nil {
			t.Fatalf("finish d_wiped: %v %v", ok, err)
		}
		if _, err := s.RetryDelivery(ctx, "d_wiped", later); apperr.KindOf(err) != apperr.Conflict || !strings.Contains(err.Error(), "wiped") {
			t.Errorf("a dead delivery whose secret values were wiped: %v, want Conflict", err)
		}
		put("d_rejected", "k3", installations.DeliveryRejected)
		if _, err := s.RetryDelivery(ctx, "d_rejected", later); apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("a rejected delivery: %v, want Conflict", err)
		}
		if _, err := s.RetryDelivery(ctx, "d_none", later); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("an unknown delivery: %v, want NotFound", err)
		}
		put("d_dead3", "k4", installations.DeliveryDead)
		if _, err := db.NewInstallations(d, newVault(t)).MarkDeleted(ctx, "icfg_1", true); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RetryDelivery(ctx, "d_dead3", later); err == nil || !strings.Contains(err.Error(), "finalized") {
			t.Errorf("a dead delivery of a finalized installation: %v", err)
		}

		list, err := s.ListDeliveries(ctx, installations.DeliveryFilter{Status: installations.DeliveryDead, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, dl := range list {
			ids = append(ids, dl.ID)
			if dl.Body != "" {
				t.Errorf("%s listed with its body", dl.ID)
			}
		}
		if !slices.Equal(ids, []string{"d_dead3", "d_wiped", "d_dead2"}) {
			t.Errorf("dead deliveries %q", ids)
		}
		list, _ = s.ListDeliveries(ctx, installations.DeliveryFilter{InstallationID: "icfg_1", Before: list[0].Seq, Limit: 2})
		if len(list) != 2 || list[0].ID != "d_rejected" {
			t.Errorf("a page back: %+v", list)
		}
	})
}

func TestWebhooksListNewestFirst(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		s := db.NewWebhooks(d)
		for i := range 5 {
			typ := "a.type"
			if i%2 == 1 {
				typ = "b.type"
			}
			ev := installations.WebhookEvent{ID: fmt.Sprintf("evt_%d", i), Type: typ, InstallationID: "icfg_1", Body: []byte(`{}`)}
			if _, err := s.RecordWebhook(context.Background(), ev, nil); err != nil {
				t.Fatal(err)
			}
		}
		all, err := s.RecentWebhooks(ctx, installations.WebhookFilter{Limit: 10})
		if err != nil || len(all) != 5 {
			t.Fatalf("%d webhooks, %v", len(all), err)
		}
		for i := 1; i < len(all); i++ {
			if all[i].ReceivedAt.After(all[i-1].ReceivedAt) {
				t.Errorf("not newest first: %+v", all)
			}
		}
		b, _ := s.RecentWebhooks(ctx, installations.WebhookFilter{Type: "b.type", Limit: 10})
		if len(b) != 2 {
			t.Errorf("b.type: %+v", b)
		}
		page, _ := s.RecentWebhooks(ctx, installations.WebhookFilter{BeforeAt: all[1].ReceivedAt, BeforeID: all[1].ID, Limit: 10})
		if len(page) != 3 || page[0].ID != all[2].ID {
			t.Errorf("a page back from %s: %+v", all[1].ID, page)
		}
	})
}

// Entries written before the audit log was numbered like the feed keep
// their ids and come first; a cursor handed out then still works, and a
// new entry continues the numbering.
func TestAuditMigrationKeepsOldCursors(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dsn := dbtest.PostgresDSN(t)
	x, err := sqlx.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	old := &db.DB{DB: x, Read: x, Driver: "postgres"}
	if err := old.MigrateFS(ctx, upTo(t, 101)); err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(`INSERT INTO audit_log (id, at, actor, actor_kind, action) VALUES
		(5, 10, 'a', 'token', 'old-5'), (7, 11, 'a', 'token', 'old-7'), (9, 12, 'a', 'token', 'old-9')`); err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(`UPDATE counters SET value = 9 WHERE name = 'audit'`); err != nil {
		t.Fatal(err)
	}
	d := open(t, "postgres", dsn)
	s := db.NewAudit(d)
	if err := s.AppendAudit(ctx, installations.AuditEntry{At: time.Now(), Actor: "a", Action: "new"}); err != nil {
		t.Fatal(err)
	}
	got, _ := readAudit(t, s, 7)
	list, _ := s.AuditAfter(ctx, 9, 10)
	if fmt.Sprint(got) != "[old-9 new]" || len(list) != 1 || list[0].ID != 10 {
		t.Fatalf("after the old cursor 7: %v, after 9: %+v; want old-9 and new (id 10)", got, list)
	}
	if _, err := s.AuditAfter(ctx, 8, 10); apperr.KindOf(err) != apperr.Invalid {
		t.Errorf("cursor 8 names no entry: %v, want Invalid", err)
	}
}
