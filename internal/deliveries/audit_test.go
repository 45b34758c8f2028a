package deliveries_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// A request's pending audit entry is appended in the transaction that
// records its write, naming the delivery, once: a second write of the same
// request adds none, and a write whose transaction fails leaves neither
// entry nor delivery, and the entry still pending.
func TestAuditEntryCommitsWithTheWrite(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fast)
	audit := db.NewAudit(e.db)
	entry := func() installations.AuditEntry {
		return installations.AuditEntry{At: time.Now(), Actor: "billing-job", ActorKind: installations.AuditToken,
			Action: "POST /installations/{installationId}/events", Target: "/installations/" + inst + "/events"}
	}

	failing := installations.NewPendingAudit(entry)
	w := resourceEvent("db_1")
	w.Local = func(_ context.Context, _ installations.Tx, _ string) error { return errors.New("the change failed") }
	if _, err := e.svc.Enqueue(installations.WithPendingAudit(t.Context(), failing), w); err == nil {
		t.Fatal("a write whose change failed was recorded")
	}
	if failing.Recorded() {
		t.Error("the entry of a write that was not recorded is marked recorded")
	}
	if list, _ := audit.AuditAfter(t.Context(), 0, 10); len(list) != 0 {
		t.Fatalf("entries %+v after a failed write, want none", list)
	}

	pending := installations.NewPendingAudit(entry)
	ctx := installations.WithPendingAudit(t.Context(), pending)
	d, err := e.svc.Enqueue(ctx, resourceEvent("db_1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Enqueue(ctx, resourceEvent("db_2")); err != nil {
		t.Fatal(err)
	}
	if !pending.Recorded() {
		t.Error("the entry is not marked recorded")
	}
	list, err := audit.AuditAfter(t.Context(), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].DeliveryID != d.ID || list[0].InstallationID != inst || list[0].Actor != "billing-job" {
		t.Fatalf("entries %+v, want one naming delivery %s and its installation", list, d.ID)
	}

	if _, errs := e.svc.EnqueueBatch(installations.WithPendingAudit(t.Context(), installations.NewPendingAudit(entry)),
		[]deliveries.Write{resourceEvent("db_3")}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	if list, _ := audit.AuditAfter(t.Context(), 0, 10); len(list) != 1 {
		t.Errorf("a batch appended %d entries, want none (its request appends one when answered)", len(list)-1)
	}
}
