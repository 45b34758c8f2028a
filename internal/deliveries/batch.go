package deliveries

import (
	"context"
	"errors"

	"github.com/vercel-partner/partner-server/internal/installations"
)

// BatchStore is a Store that records many deliveries in one transaction
// (the database's does). EnqueueBatch uses it when the store has it.
type BatchStore interface {
	// InsertDeliveries records ds for the worker, each with its local
	// change; errs[i] is ds[i]'s own error.
	InsertDeliveries(ctx context.Context, ds []Delivery, locals []installations.LocalChange) (out []Delivery, errs []error)
}

// MaxBatch bounds the writes EnqueueBatch records in one transaction.
const MaxBatch = 100

// EnqueueBatch records writes for the background worker, up to MaxBatch
// of them in one transaction: one commit instead of one each. Nothing is
// attempted in the call (Background is implied). Writes keep their order:
// of two writes with the same ordering key, the first is delivered first.
// errs[i] is writes[i]'s own error, as Enqueue would answer it.
func (s *Service) EnqueueBatch(ctx context.Context, writes []Write) (out []Delivery, errs []error) {
	out, errs = make([]Delivery, len(writes)), make([]error, len(writes))
	defer s.Wake()
	// A batch is many writes: the request's audit entry, if any, is
	// appended once it is answered rather than with one of them.
	ctx = installations.WithPendingAudit(ctx, nil)
	for start := 0; start < len(writes); start += MaxBatch {
		end := min(start+MaxBatch, len(writes))
		s.recordBatch(ctx, writes[start:end], out[start:end], errs[start:end])
	}
	return out, errs
}

func (s *Service) recordBatch(ctx context.Context, writes []Write, out []Delivery, errs []error) {
	bs, ok := s.Store.(BatchStore)
	var (
		ds     []Delivery
		locals []installations.LocalChange
		at     []int // index in writes of each of ds
	)
	for i, w := range writes {
		if !ok {
			w.Background = true
			out[i], errs[i] = s.Enqueue(ctx, w)
			continue
		}
		if errs[i] = w.check(); errs[i] != nil {
			continue
		}
		d, err := s.newDelivery(w)
		if err != nil {
			errs[i] = err
			continue
		}
		ds, locals, at = append(ds, d), append(locals, local(w, d.ID, &sealedToken{}, nil, nil)), append(at, i)
	}
	if len(ds) == 0 {
		return
	}
	if err := ctx.Err(); err != nil {
		for _, i := range at {
			errs[i] = err
		}
		return
	}
	// As in record: once started, the batch is recorded whole.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	recorded, rerrs := bs.InsertDeliveries(rctx, ds, locals)
	for k, i := range at {
		out[i], errs[i] = recorded[k], rerrs[k]
	}
}

// check is what Enqueue refuses before recording anything.
func (w Write) check() error {
	if w.err != nil {
		return w.err
	}
	if w.op == "" {
		return errors.New("deliveries: a Write must come from its operation's constructor")
	}
	return nil
}
