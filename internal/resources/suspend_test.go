package resources_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/provisioning"
	"github.com/vercel-partner/partner-server/internal/resources"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// TestSuspendAndResume: the status changes here and at Vercel, and the
// partner's side hears it through the hook or the feed; a repeat does
// nothing.
func TestSuspendAndResume(t *testing.T) {
	t.Parallel()
	for _, withHook := range []bool{true, false} {
		name := map[bool]string{true: "hook", false: "feed"}[withHook]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, withHook)
			e.put(t, "db_1", "pro")
			r, d, err := e.svc.Suspend(t.Context(), "", inst, "db_1")
			if err != nil || r.Status != "suspended" || d.Status != deliveries.StatusDelivered {
				t.Fatalf("suspend: %+v %+v %v", r, d, err)
			}
			if got, _ := e.sim.Resource(inst, "db_1"); got.Status != "suspended" {
				t.Errorf("Vercel has %s", got.Status)
			}
			if _, again, err := e.svc.Suspend(t.Context(), "", inst, "db_1"); err != nil || again.ID != "" {
				t.Errorf("a second suspension made delivery %+v (%v), want none", again, err)
			}
			if r, d, err = e.svc.Resume(t.Context(), "", inst, "db_1"); err != nil || r.Status != "resumed" || d.ID == "" {
				t.Fatalf("resume: %+v %+v %v", r, d, err)
			}
			if got, _ := e.sim.Resource(inst, "db_1"); got.Status != "resumed" {
				t.Errorf("Vercel has %s", got.Status)
			}
			if _, again, _ := e.svc.Resume(t.Context(), "", inst, "db_1"); again.ID != "" {
				t.Error("resuming a resource that is not suspended made a delivery")
			}
			var bodies []string
			for _, req := range e.sim.RequestsTo(vercelsim.RouteUpdateResource) {
				if req.Status == http.StatusOK {
					bodies = append(bodies, string(req.Body))
				}
			}
			if strings.Join(bodies, " ") != `{"status":"suspended"} {"status":"resumed"}` {
				t.Errorf("Vercel took %q", bodies)
			}
			if withHook {
				if got := strings.Join(e.hook.types(), " "); got != resources.HookSuspend+" "+resources.HookResume {
					t.Errorf("hook heard %q", got)
				}
				return
			}
			evs := e.feed(t, installations.EventResourceSuspendRequested, installations.EventResourceResumeRequested)
			if len(evs) != 2 || evs[0].Type != installations.EventResourceSuspendRequested || !strings.Contains(string(evs[1].Data), `"status":"resumed"`) {
				t.Errorf("feed %+v", evs)
			}
		})
	}
}

// TestAFailingHookSuspendsNothing: the hook's failure is the caller's
// 409; nothing changes here or at Vercel.
func TestAFailingHookSuspendsNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	e.put(t, "db_1", "pro")
	e.hook.status = http.StatusInternalServerError
	_, d, err := e.svc.Suspend(t.Context(), "", inst, "db_1")
	if err != provisioning.ErrHookFailed || d.ID != "" {
		t.Fatalf("%+v %v, want the hook's failure", d, err)
	}
	if r, _ := e.res.GetResource(t.Context(), inst, "db_1"); r.Status != "ready" {
		t.Errorf("status %s after a failed hook", r.Status)
	}
	if n := len(e.sim.RequestsTo(vercelsim.RouteUpdateResource)); n != 0 {
		t.Errorf("Vercel got %d updates", n)
	}
	if _, _, err := e.svc.Suspend(t.Context(), "", inst, "db_none"); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("an unknown resource: %v, want NotFound", err)
	}
}

// TestASuspensionRetriedUnderItsKeyIsOneOperationToTheHook: the hook sees
// the same webhook-id each time a request under one Idempotency-Key asks
// for the same change, and another id for another key.
func TestASuspensionRetriedUnderItsKeyIsOneOperationToTheHook(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	e.put(t, "db_1", "pro")
	e.hook.status = http.StatusInternalServerError
	if _, _, err := e.svc.Suspend(t.Context(), "key-1", inst, "db_1"); err != provisioning.ErrHookFailed {
		t.Fatalf("first try: %v, want the hook's failure", err)
	}
	e.hook.status = 0
	if _, _, err := e.svc.Suspend(t.Context(), "key-1", inst, "db_1"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.Resume(t.Context(), "key-2", inst, "db_1"); err != nil {
		t.Fatal(err)
	}
	e.hook.mu.Lock()
	ids := append([]string(nil), e.hook.ids...)
	e.hook.mu.Unlock()
	if len(ids) != 3 || ids[0] != ids[1] || ids[0] == ids[2] || ids[0] == "" {
		t.Errorf("webhook-ids %v, want the suspension's twice, then another for the resumption", ids)
	}
}
