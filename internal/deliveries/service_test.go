package deliveries_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

func TestDeliveredWriteIsRecorded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fast)
	d, err := e.svc.Enqueue(t.Context(), resourceEvent("db_1"))
	if err != nil {
		t.Fatal(err)
	}
	stored, err := e.svc.Get(t.Context(), d.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range []deliveries.Delivery{d, stored} {
		if got.Status != deliveries.StatusDelivered || got.Attempts != 1 || got.ResultStatus != 200 ||
			string(got.Result) != "null" || got.LastError != "" || got.FinishedAt == nil {
			t.Errorf("delivery %+v, want delivered after 1 attempt with result null", got)
		}
	}
	reqs := e.sim.RequestsTo(vercelsim.RouteCreateEvent)
	if len(reqs) != 1 || !strings.Contains(string(reqs[0].Body), `"resource.updated"`) {
		t.Fatalf("Vercel got %d createEvent calls: %+v", len(reqs), reqs)
	}
	if got := reqs[0].Header.Get("Authorization"); got != "Bearer "+token {
		t.Errorf("authorization %q, want the installation's token", got)
	}
}

func TestUnavailableVercelIsRetriedByTheWorker(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fast)
	e.sim.Enqueue(vercelsim.RouteCreateEvent, fault(503), fault(503))
	d, err := e.svc.Enqueue(t.Context(), resourceEvent("db_1"))
	if err != nil {
		t.Fatalf("a retryable failure is no error for the caller: %v", err)
	}
	if d.Status != deliveries.StatusPending || d.Attempts != 1 || d.LastError == "" {
		t.Fatalf("after a 503: %+v, want pending after 1 attempt", d)
	}
	e.run(t)
	d = e.await(t, d.ID, status(deliveries.StatusDelivered))
	if d.Attempts != 3 || d.LastError != "" {
		t.Errorf("delivered %+v, want 3 attempts and no last error", d)
	}
	if n := len(e.sim.RequestsTo(vercelsim.RouteCreateEvent)); n != 3 {
		t.Errorf("Vercel got %d calls, want 3", n)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		status int
		header string
		value  string
		hint   time.Duration
	}{
		{"retry-after seconds on 503", 503, "Retry-After", "30", 30 * time.Second},
		{"retry-after seconds on 429", 429, "Retry-After", "45", 45 * time.Second},
		{"retry-after-ms", 503, "Retry-After-Ms", "20000", 20 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, fast) // MaxBackoff 50ms: only the hint can wait this long
			e.sim.Enqueue(vercelsim.RouteCreateEvent, fault(tc.status, tc.header, tc.value))
			before := time.Now().Truncate(time.Millisecond)
			d, err := e.svc.Enqueue(t.Context(), resourceEvent("db_1"))
			if err != nil {
				t.Fatal(err)
			}
			stored, _ := e.svc.Get(t.Context(), d.ID)
			if d.Status != deliveries.StatusPending || stored.NextAttemptAt.Before(before.Add(tc.hint)) {
				t.Errorf("next attempt at %v (stored %v), want pending and ≥ %v", d.NextAttemptAt, stored.NextAttemptAt, before.Add(tc.hint))
			}
			if stored.NextAttemptAt.After(time.Now().Add(tc.hint + time.Second)) {
				t.Errorf("next attempt at %v waits longer than the hint", stored.NextAttemptAt)
			}
		})
	}
}

func TestRefusalsAreFinalAfterOneAttempt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status int
		kind   apperr.Kind
		code   string
		vercel bool
	}{
		{409, apperr.Conflict, "vercel_rejected", true},
		{422, apperr.Unprocessable, "vercel_rejected", true},
		{404, apperr.NotFound, "vercel_rejected", true},
		{401, apperr.Upstream, "installation_token_rejected", false},
		{403, apperr.Upstream, "installation_token_rejected", false},
	} {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, fast)
			e.sim.Enqueue(vercelsim.RouteCreateEvent, fault(tc.status))
			d, err := e.svc.Enqueue(t.Context(), resourceEvent("db_1"))
			if d.Status != deliveries.StatusRejected || d.Attempts != 1 || d.ResultStatus != tc.status || d.FinishedAt == nil {
				t.Fatalf("delivery %+v, want rejected after 1 attempt with status %d", d, tc.status)
			}
			stored, _ := e.svc.Get(t.Context(), d.ID)
			for i, got := range []error{err, deliveries.Err(stored)} {
				ae, ok := errors.AsType[*apperr.Error](got)
				if !ok || ae.Kind != tc.kind || ae.Code != tc.code {
					t.Fatalf("error %d: %#v, want kind %v code %s", i, got, tc.kind, tc.code)
				}
				if tc.vercel {
					var v struct {
						Status int `json:"status"`
						Body   struct {
							Error struct{ Code string } `json:"error"`
						} `json:"body"`
					}
					if json.Unmarshal(ae.Vercel, &v) != nil || v.Status != tc.status || v.Body.Error.Code == "" {
						t.Errorf("error.vercel %s, want Vercel's status and error body", ae.Vercel)
					}
				}
			}
			// A refused write is never claimed again.
			claimed, err := e.store.ClaimDeliveries(t.Context(), "w", time.Now().Add(time.Hour), time.Now().Add(2*time.Hour), 10)
			if err != nil || len(claimed) != 0 {
				t.Errorf("claimable after refusal: %v %v", claimed, err)
			}
		})
	}
}

func TestSameOrderKeyWaitsForTheEarlierWrite(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fast)
	e.sim.Enqueue(vercelsim.RouteUpdateSecretsByID, fault(503), fault(503))
	first, err := e.svc.Enqueue(t.Context(), secrets("db_1", "first-value"))
	if err != nil || first.Status != deliveries.StatusPending {
		t.Fatalf("first: %+v %v", first, err)
	}
	second, err := e.svc.Enqueue(t.Context(), secrets("db_1", "second-value"))
	if err != nil || second.Status != deliveries.StatusPending || second.Attempts != 0 {
		t.Fatalf("second: %+v %v, want pending and never attempted behind the first", second, err)
	}
	if n := len(e.sim.RequestsTo(vercelsim.RouteUpdateSecretsByID)); n != 1 {
		t.Fatalf("Vercel got %d secrets calls, want only the first's attempt", n)
	}
	e.run(t)
	e.await(t, second.ID, status(deliveries.StatusDelivered))
	first = e.await(t, first.ID, status(deliveries.StatusDelivered))
	if first.Attempts != 3 {
		t.Errorf("first took %d attempts, want 3", first.Attempts)
	}
	var values []string
	for _, r := range e.sim.RequestsTo(vercelsim.RouteUpdateSecretsByID) {
		var body vercelapi.SecretsUpdate
		json.Unmarshal(r.Body, &body)
		values = append(values, body.Secrets[0].Value)
	}
	want := []string{"first-value", "first-value", "first-value", "second-value"}
	if strings.Join(values, ",") != strings.Join(want, ",") {
		t.Errorf("Vercel saw %v, want %v", values, want)
	}
	if got := e.sim.Secrets(inst, "db_1"); len(got) != 1 || got[0].Value != "second-value" {
		t.Errorf("Vercel's secrets %+v, want the second write last", got)
	}
}

func TestOtherOrderKeysDoNotWait(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fast)
	e.sim.Enqueue(vercelsim.RouteUpdateSecretsByID, fault(503))
	first, err := e.svc.Enqueue(t.Context(), secrets("db_1", "a"))
	if err != nil || first.Status != deliveries.StatusPending {
		t.Fatalf("first: %+v %v", first, err)
	}
	for _, w := range []deliveries.Write{secrets("db_2", "b"), resourceEvent("db_1")} {
		d, err := e.svc.Enqueue(t.Context(), w)
		if err != nil || d.Status != deliveries.StatusDelivered || d.Attempts != 1 {
			t.Errorf("%s %s behind a failing %s: %+v %v, want delivered at once", d.Operation, d.Target, first.OrderKey, d, err)
		}
	}
}

func TestDeadAfterMaxAgeIsAnnounced(t *testing.T) {
	t.Parallel()
	opts := fast
	opts.MaxAge = time.Millisecond
	e := newEnv(t, opts)
	e.sim.Enqueue(vercelsim.RouteCreateEvent, fault(503))
	d, err := e.svc.Enqueue(t.Context(), resourceEvent("db_1"))
	if d.Status != deliveries.StatusDead || d.Attempts != 1 || d.FinishedAt == nil {
		t.Fatalf("delivery %+v, want dead after 1 attempt", d)
	}
	if ae, ok := errors.AsType[*apperr.Error](err); !ok || ae.Kind != apperr.Upstream || ae.Code != "delivery_dead" {
		t.Errorf("error %v, want Upstream delivery_dead", err)
	}
	evs, err := e.events.EventsAfter(t.Context(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var dead []string
	for _, ev := range evs {
		if ev.Type == "delivery.dead" {
			dead = append(dead, ev.Subject)
			var data struct {
				DeliveryID string `json:"deliveryId"`
				Operation  string `json:"operation"`
				Attempts   int    `json:"attempts"`
			}
			json.Unmarshal(ev.Data, &data)
			if data.DeliveryID != d.ID || data.Operation != deliveries.OpCreateEvent || data.Attempts != 1 || ev.InstallationID != inst {
				t.Errorf("event %+v %s", ev, ev.Data)
			}
		}
	}
	if len(dead) != 1 || dead[0] != d.ID {
		t.Errorf("delivery.dead events for %v, want exactly [%s]", dead, d.ID)
	}
}

func TestDeliveredInvoiceIsRecorded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fast)
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 1, 0)
	d, err := e.svc.Enqueue(t.Context(), deliveries.SubmitInvoice(inst, &vercelapi.InvoiceRequest{
		ExternalID: "ours_2026_10", InvoiceDate: vercelapi.NewTime(end.Add(-time.Hour)),
		Period: vercelapi.Period{Start: vercelapi.NewTime(start), End: vercelapi.NewTime(end)},
		Items: []vercelapi.Item{{BillingPlanID: "pro200", Name: "Pro plan", Price: "20.00", Quantity: "1", Units: "month", Total: "20.00"},
			{BillingPlanID: "pro200", Name: "Seats", Price: "0.10", Quantity: "3", Units: "seat", Total: "0.30"}},
		Discounts: []vercelapi.Discount{{BillingPlanID: "pro200", Name: "Launch credit", Amount: "7.50"}},
		Test:      &vercelapi.InvoiceTest{},
	}))
	if err != nil || d.Status != deliveries.StatusDelivered || d.ResultStatus != 201 {
		t.Fatalf("delivery %+v %v, want delivered with 201", d, err)
	}
	var res vercelapi.SubmitInvoiceResult
	if json.Unmarshal(d.Result, &res) != nil || res.InvoiceID == "" {
		t.Fatalf("result %s carries no invoiceId", d.Result)
	}
	inv, err := e.invoices.GetInvoice(t.Context(), inst, res.InvoiceID)
	if err != nil {
		t.Fatalf("our invoice %s: %v", res.InvoiceID, err)
	}
	if inv.ExternalID != "ours_2026_10" || inv.Total != "12.80" || !inv.Test || inv.State != vercelapi.InvoicePending ||
		!inv.PeriodStart.Equal(start) || !inv.PeriodEnd.Equal(end) {
		t.Errorf("invoice %+v", inv)
	}
	if simInv, ok := e.sim.Invoice(inst, res.InvoiceID); !ok || simInv.Total != inv.Total {
		t.Errorf("Vercel's invoice %+v, our total %s", simInv, inv.Total)
	}
}

func TestSecretBodiesAreSealedUntilDeliveredThenWiped(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fast)
	const secret = "postgres://app:Sup3rS3cret@db.example:5432/main"
	e.sim.SetDown(true)
	d, err := e.svc.Enqueue(t.Context(), secrets("db_1", secret))
	if err != nil || d.Status != deliveries.StatusPending {
		t.Fatalf("delivery %+v %v, want pending while Vercel is down", d, err)
	}
	stored := func() (deliveries.Delivery, string) {
		got, err := e.svc.Get(t.Context(), d.ID)
		if err != nil {
			t.Fatal(err)
		}
		var raw string
		if err := e.db.QueryRowContext(t.Context(), `SELECT body FROM deliveries WHERE id = ?`, d.ID).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		return got, raw
	}
	pending, raw := stored()
	for _, body := range []string{pending.Body, raw} {
		if pending.BodyKeyID == "" || body == "" || strings.Contains(body, secret) || strings.Contains(body, "Sup3rS3cret") {
			t.Errorf("stored body %q (key %q) is not sealed", body, pending.BodyKeyID)
		}
	}
	e.sim.SetDown(false)
	defer e.run(t)()
	e.await(t, d.ID, func(d deliveries.Delivery) bool { return d.Status == deliveries.StatusDelivered })
	if done, raw := stored(); done.Body != "" || done.BodyKeyID != "" || raw != "" {
		t.Errorf("delivered: body %q key %q, want the secret values wiped", raw, done.BodyKeyID)
	}
	if got := e.sim.Secrets(inst, "db_1"); len(got) != 1 || got[0].Value != secret {
		t.Errorf("Vercel's secrets %+v, want the opened value", got)
	}
	// Other bodies stay readable for operators.
	ev, _ := e.svc.Enqueue(t.Context(), resourceEvent("db_1"))
	if ev.BodyKeyID != "" || !strings.Contains(ev.Body, "resource.updated") {
		t.Errorf("event body %q key %q", ev.Body, ev.BodyKeyID)
	}
}

func TestShutdownMidAttemptReleasesTheLease(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fast)
	e.sim.Enqueue(vercelsim.RouteCreateEvent, fault(503))
	d, err := e.svc.Enqueue(t.Context(), resourceEvent("db_1"))
	if err != nil || d.Status != deliveries.StatusPending {
		t.Fatalf("first attempt: %+v %v", d, err)
	}
	e.sim.Enqueue(vercelsim.RouteCreateEvent, vercelsim.Fault{Delay: time.Minute})
	stop := e.run(t)
	deadline := time.Now().Add(15 * time.Second)
	for e.sim.PendingFaults(vercelsim.RouteCreateEvent) > 0 { // the worker's call has arrived
		if time.Now().After(deadline) {
			t.Fatal("the worker never called Vercel")
		}
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	got, err := e.svc.Get(t.Context(), d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != deliveries.StatusPending || got.Attempts != 1 || got.LastError != d.LastError {
		t.Errorf("after shutdown %+v, want the attempt uncounted (pending, 1 attempt, same last error)", got)
	}
	// Released, not leased for AttemptTimeout (30s): claimable a second later.
	claimed, err := e.store.ClaimDeliveries(t.Context(), "next", time.Now().Add(time.Second), time.Now().Add(time.Minute), 10)
	if err != nil || len(claimed) != 1 || claimed[0].ID != d.ID {
		t.Errorf("claim after shutdown: %+v %v, want the delivery", claimed, err)
	}
}

// leavingStore cancels the caller's context as the delivery is being
// recorded, as a client that hangs up mid-request does.
type leavingStore struct {
	deliveries.Store
	cancel context.CancelFunc
}

func (s leavingStore) InsertDelivery(ctx context.Context, d deliveries.Delivery, owner string, until time.Time,
	local installations.LocalChange) (deliveries.Delivery, bool, error) {
	s.cancel()
	return s.Store.InsertDelivery(ctx, d, owner, until, local)
}

// A caller that goes away once recording has begun does not cut the
// write short: it is recorded whole and attempted at once, not left
// leased to a first attempt that never runs.
func TestWriteIsRecordedWhenTheCallerLeavesMidway(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fast)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	svc := deliveries.New(deliveries.Deps{Store: leavingStore{Store: e.store, cancel: cancel},
		Vault: e.svc.Vault, Vercel: e.svc.Vercel}, fast)
	d, err := svc.Enqueue(ctx, resourceEvent("db_1"))
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	got := e.await(t, d.ID, status(deliveries.StatusDelivered))
	if got.Attempts != 1 {
		t.Errorf("%d attempts, want 1", got.Attempts)
	}
}
