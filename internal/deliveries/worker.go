package deliveries

import (
	"context"
	"crypto/rand"
	"sync"
	"time"
)

// Run delivers due deliveries in the background until ctx ends; then it
// waits for attempts in flight (their leases are released, nothing is
// counted) and returns. Pending deliveries stay in the database for the
// next start. Several processes may Run on one PostgreSQL database: leases
// keep each delivery to one attempt at a time.
func (s *Service) Run(ctx context.Context) {
	jobs := make(chan leased)
	var wg sync.WaitGroup
	for range s.opts.Workers {
		wg.Go(func() {
			for j := range jobs {
				actx, cancel := context.WithTimeout(ctx, s.opts.AttemptTimeout)
				s.attempt(actx, j.d, j.owner, s.Vercel.For(j.d.InstallationID))
				cancel()
				s.Wake() // the next write with the same ordering key may be due
			}
		})
	}
	defer func() {
		close(jobs)
		wg.Wait()
	}()
	batch := s.opts.Workers * 8
	for ctx.Err() == nil {
		owner := "wrk_" + rand.Text()
		now := s.now()
		claimed, err := s.Store.ClaimDeliveries(ctx, owner, now, now.Add(s.opts.lease()), batch)
		if err != nil && ctx.Err() == nil {
			s.Log.Error("claim deliveries: the database refused; will try again", "err", err)
		}
		for i, d := range claimed {
			select {
			case jobs <- leased{d, owner}:
			case <-ctx.Done():
				for _, rest := range claimed[i:] {
					s.Store.ReleaseDelivery(context.WithoutCancel(ctx), rest.ID, owner)
				}
				return
			}
		}
		if len(claimed) == batch {
			continue // more may be due right away
		}
		t := time.NewTimer(s.opts.PollInterval)
		select {
		case <-ctx.Done():
		case <-s.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

type leased struct {
	d     Delivery
	owner string
}
