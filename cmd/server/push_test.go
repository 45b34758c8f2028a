package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// "server deliveries retry" takes a dead push of the event feed by its
// push_ id and makes it due again; "cancel" gives a pending one up.
func TestDeliveriesCommandActsOnPushes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	d, err := db.Open(t.Context(), "sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	store, now := db.NewPushes(d), time.Now()
	if err := store.TakePushes(t.Context(), 0, 1, []installations.Push{{ID: "push_1", InstallationID: "icfg_a",
		EventID: "1", Body: "{}", CreatedAt: now}}); err != nil {
		t.Fatal(err)
	}
	claimed, err := store.ClaimPushes(t.Context(), "owner", now, now.Add(time.Minute), 1)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	dead := claimed[0]
	dead.Status, dead.Attempts, dead.FinishedAt, dead.LastError = installations.DeliveryDead, 9, &now, "the receiver answered 500"
	if ok, err := store.FinishPush(t.Context(), dead, "owner"); !ok || err != nil {
		t.Fatalf("finish: %v %v", ok, err)
	}
	d.Close()

	environ := []string{"PARTNER_DATABASE_DSN=" + path}
	var out bytes.Buffer
	if err := run(t.Context(), []string{"deliveries", "retry", "push_1"}, environ, &out); err != nil ||
		!strings.Contains(out.String(), "push_1 is due now (pending, 9 attempts)") {
		t.Fatalf("retry: %q %v", out.String(), err)
	}
	out.Reset()
	if err := run(t.Context(), []string{"deliveries", "cancel", "push_1"}, environ, &out); err != nil ||
		!strings.Contains(out.String(), "push_1 is dead") {
		t.Fatalf("cancel: %q %v", out.String(), err)
	}
	if err := run(t.Context(), []string{"deliveries", "cancel", "push_2"}, environ, &out); err == nil {
		t.Error("cancel of an unknown push succeeded")
	}
}
