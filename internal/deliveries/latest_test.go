package deliveries_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

func notify(resourceID, title string) deliveries.Write {
	p := vercelapi.ClearNotification()
	if title != "" {
		p = vercelapi.SetNotification(vercelapi.Notification{Level: vercelapi.LevelInfo, Title: title})
	}
	return deliveries.UpdateResource(inst, resourceID, &vercelapi.UpdateResourceRequest{Notification: p})
}

func setStatus(resourceID, status string) deliveries.Write {
	return deliveries.UpdateResource(inst, resourceID, &vercelapi.UpdateResourceRequest{Status: status})
}

// applied is the bodies of the updateResource calls Vercel took.
func applied(sim *vercelsim.Sim) []string {
	var out []string
	for _, r := range sim.RequestsTo(vercelsim.RouteUpdateResource) {
		if r.Status == http.StatusOK {
			out = append(out, string(r.Body))
		}
	}
	return out
}

// TestOnlyTheNewestPendingChangeIsSent: changes of one notification queued
// while Vercel is down supersede each other; once it is back, the newest
// alone is sent.
func TestOnlyTheNewestPendingChangeIsSent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fast)
	e.sim.SetDown(true)
	var ids []string
	for _, title := range []string{"first", "second", ""} {
		d, err := e.svc.Enqueue(t.Context(), notify("db_1", title))
		if err != nil || d.Status != deliveries.StatusPending {
			t.Fatalf("enqueue %q: %+v %v", title, d, err)
		}
		ids = append(ids, d.ID)
	}
	for _, id := range ids[:2] {
		d, _ := e.svc.Get(t.Context(), id)
		if d.Status != deliveries.StatusSuperseded || d.FinishedAt == nil || !strings.Contains(d.LastError, "superseded by") {
			t.Errorf("older change %+v, want superseded", d)
		}
	}
	e.sim.SetDown(false)
	e.run(t)
	e.await(t, ids[2], status(deliveries.StatusDelivered))
	if got := applied(e.sim); len(got) != 1 || got[0] != `{"notification":null}` {
		t.Errorf("Vercel took %q, want only the clearing", got)
	}
	if r, _ := e.sim.Resource(inst, "db_1"); string(r.Notification) != "null" {
		t.Errorf("Vercel shows %s, want no notification", r.Notification)
	}
}

// TestAnAttemptInFlightIsNotSuperseded: a change whose attempt is running
// keeps its lease and lands; the newer one follows it.
func TestAnAttemptInFlightIsNotSuperseded(t *testing.T) {
	t.Parallel()
	opts := fast
	opts.FirstAttemptTimeout = 20 * time.Millisecond
	e := newEnv(t, opts)
	e.sim.Enqueue(vercelsim.RouteUpdateResource, vercelsim.Fault{Delay: time.Second})
	first, err := e.svc.Enqueue(t.Context(), notify("db_1", "first"))
	if err != nil || first.Status != deliveries.StatusPending {
		t.Fatalf("first: %+v %v", first, err)
	}
	second, err := e.svc.Enqueue(t.Context(), notify("db_1", "second"))
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := e.svc.Get(t.Context(), first.ID); d.Status == deliveries.StatusSuperseded {
		t.Fatal("the change whose attempt was running was superseded")
	}
	e.run(t)
	e.await(t, first.ID, status(deliveries.StatusDelivered))
	e.await(t, second.ID, status(deliveries.StatusDelivered))
	got := applied(e.sim)
	if len(got) != 2 || !strings.Contains(got[0], "first") || !strings.Contains(got[1], "second") {
		t.Errorf("Vercel took %q, want first then second", got)
	}
}

// TestChangesOfOtherThingsAreNotSuperseded: a status and a notification
// of one resource, and the notifications of two resources, are separate.
func TestChangesOfOtherThingsAreNotSuperseded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fast)
	e.sim.SetDown(true)
	var ids []string
	for _, w := range []deliveries.Write{setStatus("db_1", "suspended"), notify("db_1", "one"), notify("db_2", "two")} {
		d, err := e.svc.Enqueue(t.Context(), w)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.ID)
	}
	e.sim.SetDown(false)
	e.run(t)
	for _, id := range ids {
		e.await(t, id, status(deliveries.StatusDelivered))
	}
	r1, _ := e.sim.Resource(inst, "db_1")
	r2, _ := e.sim.Resource(inst, "db_2")
	var n1, n2 vercelapi.Notification
	json.Unmarshal(r1.Notification, &n1)
	json.Unmarshal(r2.Notification, &n2)
	if r1.Status != "suspended" || n1.Title != "one" || n2.Title != "two" {
		t.Errorf("Vercel has db_1 %s %q, db_2 %q", r1.Status, n1.Title, n2.Title)
	}
}
