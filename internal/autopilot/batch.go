package autopilot

import (
	"context"
	"errors"
	"sync"

	"github.com/vercel-partner/partner-server/internal/deliveries"
)

// queue gathers a cycle's writes for the open period (billing data and
// prepaid balances, both for the worker) and records them
// deliveries.MaxBatch at a time, one transaction each, instead of one
// transaction per write. Each installation's writes are added together
// and batches are recorded one after another, so writes keep their order.
type queue struct {
	a       *Autopilot
	rep     *Report
	repMu   *sync.Mutex // guards rep, shared with the cycle
	mu      sync.Mutex  // guards writes
	writes  []queued
	flushMu sync.Mutex // one batch recorded at a time
}

// queued is one write and the report list its delivery id goes to.
type queued struct {
	w   deliveries.Write
	ids func(*Report) *[]string
}

func billingDataIDs(r *Report) *[]string { return &r.BillingData }
func balanceIDs(r *Report) *[]string     { return &r.Balances }

// add queues one installation's writes, recording a batch once enough
// are waiting.
func (q *queue) add(ctx context.Context, ws ...queued) {
	q.mu.Lock()
	q.writes = append(q.writes, ws...)
	full := len(q.writes) >= deliveries.MaxBatch
	q.mu.Unlock()
	if full {
		q.flush(ctx)
	}
}

// flush records every write waiting.
func (q *queue) flush(ctx context.Context) {
	q.flushMu.Lock()
	defer q.flushMu.Unlock()
	q.mu.Lock()
	ws := q.writes
	q.writes = nil
	q.mu.Unlock()
	if len(ws) == 0 {
		return
	}
	writes := make([]deliveries.Write, len(ws))
	for i, w := range ws {
		writes[i] = w.w
	}
	ds, errs := q.a.Deliveries.EnqueueBatch(ctx, writes)
	q.repMu.Lock()
	defer q.repMu.Unlock()
	failed := map[string]bool{}
	for i, w := range ws {
		inst := w.w.InstallationID()
		err := q.a.queued(w.ids(q.rep), inst, w.w.Operation(), ds[i], errs[i])
		if err != nil && !errors.Is(err, errQueued) && !failed[inst] {
			failed[inst] = true
			q.rep.Failed++
			if ctx.Err() == nil {
				q.a.Log.Error("billing cycle for installation", "installation_id", inst, "err", err)
			}
		}
	}
}
