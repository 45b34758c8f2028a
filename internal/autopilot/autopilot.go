// Package autopilot is the billing autopilot: on an interval it turns the
// usage ledger into what Vercel is sent (interim billing data, one invoice
// per ended period, prepaid balances, the final invoice and finalization of
// an uninstalled installation), through the durable delivery queue.
package autopilot

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/dunning"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/lifecycle"
)

// Deps are the autopilot's collaborators.
type Deps struct {
	Installations installations.Store
	Resources     installations.ResourceStore
	Usage         installations.UsageStore
	Billing       installations.BillingStore
	Catalog       installations.Catalog
	Deliveries    *deliveries.Service
	// Lifecycle finalizes uninstalled installations once billed.
	Lifecycle *lifecycle.Service
	Log       *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Grace is how long after a period ends its late usage is still
	// accepted (billing.late_usage_grace); its invoice waits until then.
	Grace time.Duration
	// Dunning, when set, applies the grace of unpaid invoices as of each
	// cycle's time (dunning.Service).
	Dunning Dunning
	// Suspender, when set, suspends a resource whose prepaid plan says
	// suspend once its balance runs out (resources.Service).
	Suspender Suspender
}

// Dunning acts on unpaid invoices as of a time (dunning.Service).
type Dunning interface {
	Cycle(ctx context.Context, now time.Time) ([]dunning.Action, error)
}

// Suspender suspends a resource (resources.Service).
type Suspender interface {
	Suspend(ctx context.Context, key, installationID, resourceID string,
		also ...deliveries.Local) (installations.Resource, deliveries.Delivery, error)
}

// Autopilot runs billing cycles.
type Autopilot struct {
	Deps
}

// New returns the autopilot.
func New(d Deps) *Autopilot {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Autopilot{Deps: d}
}

// Report is what one cycle queued: delivery ids by kind.
type Report struct {
	Now           time.Time `json:"now"`
	Installations int       `json:"installations"` // looked at
	BillingData   []string  `json:"billingData"`
	Invoices      []string  `json:"invoices"`
	Balances      []string  `json:"balances"`
	Finalizations []string  `json:"finalizations"`
	// Suspended lists the resources suspended because their prepaid
	// balance ran out (prepaid_exhausted: suspend).
	Suspended []string `json:"suspended"`
	// Dunning is what unpaid invoices led to in this cycle.
	Dunning []dunning.Action `json:"dunning"`
	Failed  int              `json:"failed"` // installations whose cycle failed (logged)
}

// firstDelay is how soon after start the first cycle runs: soon, so
// restarts more frequent than the interval still submit, but not at once.
const firstDelay = time.Minute

// Run runs a cycle every interval until ctx ends, the first one
// min(interval, firstDelay) after start.
func (a *Autopilot) Run(ctx context.Context, interval time.Duration) {
	wait := min(interval, firstDelay)
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = interval
		if _, err := a.Cycle(ctx, a.Now()); err != nil && ctx.Err() == nil {
			a.Log.Error("billing cycle", "err", err)
		}
	}
}

// parallel bounds the installations handled at once: the first attempt of
// each delivery waits on Vercel, so one at a time would be slow.
const parallel = 4

// Cycle runs one billing cycle as of now over every installation not yet
// finalized. A failure for one installation is logged and counted; the
// others go on.
func (a *Autopilot) Cycle(ctx context.Context, now time.Time) (Report, error) {
	now = now.UTC().Truncate(time.Millisecond)
	list, err := a.Installations.List(ctx)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Now: now, BillingData: []string{}, Invoices: []string{}, Balances: []string{}, Finalizations: []string{},
		Suspended: []string{}, Dunning: []dunning.Action{}}
	var mu sync.Mutex
	work := make(chan installations.Installation)
	var wg sync.WaitGroup
	for range parallel {
		wg.Go(func() {
			for in := range work {
				var r Report
				err := a.installation(ctx, &r, in, now)
				mu.Lock()
				rep.merge(r, err != nil)
				mu.Unlock()
				if err != nil && ctx.Err() == nil {
					a.Log.Error("billing cycle for installation", "installation_id", in.ID, "err", err)
				}
			}
		})
	}
	for _, in := range list {
		if in.Finalized() {
			continue
		}
		select {
		case work <- in:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	if a.Dunning != nil && ctx.Err() == nil {
		acts, err := a.Dunning.Cycle(ctx, now)
		rep.Dunning = append(rep.Dunning, acts...)
		if err != nil && ctx.Err() == nil {
			a.Log.Error("dunning cycle", "err", err)
		}
	}
	return rep, ctx.Err()
}

func (r *Report) merge(o Report, failed bool) {
	r.Installations++
	r.BillingData = append(r.BillingData, o.BillingData...)
	r.Invoices = append(r.Invoices, o.Invoices...)
	r.Balances = append(r.Balances, o.Balances...)
	r.Finalizations = append(r.Finalizations, o.Finalizations...)
	r.Suspended = append(r.Suspended, o.Suspended...)
	if failed {
		r.Failed++
	}
}

// errQueued means another run already queued this delivery: the claim in
// its transaction found the row, so nothing was recorded.
var errQueued = errors.New("autopilot: already queued")

// enqueue queues a delivery and adds its id to ids. A delivery another
// run queued is no error; one Vercel refused is logged, since it is
// recorded and visible like any refused write.
func (a *Autopilot) enqueue(ctx context.Context, ids *[]string, w deliveries.Write) error {
	d, err := a.Deliveries.Enqueue(ctx, w)
	return a.queued(ids, w.InstallationID(), w.Operation(), d, err)
}

func (a *Autopilot) queued(ids *[]string, inst, op string, d deliveries.Delivery, err error) error {
	switch {
	case errors.Is(err, errQueued):
		return nil
	case d.ID == "":
		return err
	}
	*ids = append(*ids, d.ID)
	if err != nil {
		a.Log.Warn("billing delivery refused", "installation_id", inst, "operation", op, "delivery_id", d.ID, "err", err)
	}
	return nil
}
