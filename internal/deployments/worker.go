package deployments

import (
	"context"
	"crypto/rand"
	"errors"
	mrand "math/rand/v2"
	"sync"
	"time"

	"github.com/vercel-partner/partner-server/internal/installations"
)

// Run calls the partner's hook for due calls and reports the jobs that
// are past their deadline, until ctx ends; then it waits for the calls in
// flight (their leases are released). Everything it works from is in the
// database, so a restart, even after a crash, goes on where it stopped
// and a deadline that passed while the server was down is caught at the
// first round. Several processes may Run on one PostgreSQL database:
// leases keep each call to one attempt at a time, and a job's version to
// one report of its failure.
func (s *Service) Run(ctx context.Context) {
	calls := make(chan leased)
	var wg sync.WaitGroup
	for range s.opts.Workers {
		wg.Go(func() {
			for c := range calls {
				s.process(ctx, c.call, c.owner)
			}
		})
	}
	defer func() {
		close(calls)
		wg.Wait()
	}()
	batch := s.opts.Workers * 4
	t := time.NewTicker(s.opts.PollInterval)
	defer t.Stop()
	var swept time.Time
	for ctx.Err() == nil {
		if now := s.now(); now.Sub(swept) >= s.opts.SweepInterval {
			s.sweep(ctx)
			swept = now
		}
		claimed := 0
		if s.Hook != nil {
			claimed = s.dispatch(ctx, calls, batch)
		}
		if claimed == batch {
			continue // more may be due right away
		}
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
}

type leased struct {
	call  installations.DeploymentCall
	owner string
}

// dispatch leases due calls and hands them to the workers; it returns
// how many it leased.
func (s *Service) dispatch(ctx context.Context, calls chan<- leased, batch int) int {
	owner := "dwk_" + rand.Text()
	now := s.now()
	claimed, err := s.Store.ClaimDeploymentCalls(ctx, owner, now, now.Add(s.opts.HookTimeout+leaseMargin), batch)
	if err != nil && ctx.Err() == nil {
		s.Log.Error("claim deployment hook calls: the database refused; will try again", "err", err)
	}
	for i, c := range claimed {
		select {
		case calls <- leased{c, owner}:
		case <-ctx.Done():
			for _, rest := range claimed[i:] {
				s.Store.ReleaseDeploymentCall(context.WithoutCancel(ctx), rest.ID, owner)
			}
			return len(claimed)
		}
	}
	return len(claimed)
}

// sweep ends the hook calls past their deadline and reports failed the
// jobs nobody finished in time (and those failed here, still to report).
func (s *Service) sweep(ctx context.Context) {
	now := s.now()
	if _, err := s.Store.ExpireDeploymentCalls(ctx, now); err != nil && ctx.Err() == nil {
		s.Log.Error("expire deployment hook calls", "err", err)
	}
	due, err := s.Store.DueDeploymentJobs(ctx, now, 100)
	if err != nil && ctx.Err() == nil {
		s.Log.Error("find due deployment jobs", "err", err)
	}
	for _, j := range due {
		if err := s.failDue(ctx, j); err != nil && !errors.Is(err, errStale) && ctx.Err() == nil {
			s.Log.Error("report a deployment job failed", "job_id", j.ID, "err", err)
		}
	}
}

// process makes one attempt of call c, which owner has leased.
func (s *Service) process(ctx context.Context, c installations.DeploymentCall, owner string) {
	j, err := s.Store.GetDeploymentJob(ctx, c.JobID)
	if err != nil {
		s.release(ctx, c, owner, err)
		return
	}
	if isStart(c.Type) && j.Final() {
		s.finish(ctx, c, owner, installations.CallDone, "the job had ended; the hook was not called")
		return
	}
	raw, err := s.Hook.Send(ctx, c.ID, c.Type, c.Body)
	if ctx.Err() != nil { // shutting down: the next start tries again
		s.release(ctx, c, owner, nil)
		return
	}
	var a answer
	if err == nil && isStart(c.Type) {
		a, err = s.decodeAnswer(ctx, j, raw)
	}
	if err != nil {
		s.Log.Warn("deployment hook call failed; will retry until its deadline", "call_id", c.ID, "type", c.Type,
			"job_id", c.JobID, "attempt", c.Attempts+1, "err", err)
		s.retry(ctx, c, owner, err)
		return
	}
	if !isStart(c.Type) {
		s.finish(ctx, c, owner, installations.CallDone, "")
		return
	}
	s.answered(ctx, j, c, owner, a)
}

func isStart(typ string) bool { return typ == TypeAction || typ == TypeCheckRun }

// answered records the hook's answer to a start: {"async": true} puts the
// request on the feed for the internal API to complete; a status goes to
// Vercel. A job changed meanwhile is read again; one that ended keeps its
// end and the answer is not used.
func (s *Service) answered(ctx context.Context, j installations.DeploymentJob, c installations.DeploymentCall, owner string, a answer) {
	done := s.doneWith(c, owner)
	for range 3 {
		var err error
		switch {
		case j.Final():
			s.finish(ctx, c, owner, installations.CallDone, "the job ended before the hook's answer; it was not used")
			return
		case a.async:
			err = s.Tx(ctx, func(tx installations.Tx) error {
				if err := done(ctx, tx); err != nil {
					return err
				}
				return tx.AppendEvent(ctx, installations.NewEvent{Type: feedEvents[c.Type], InstallationID: j.InstallationID,
					Subject: j.ID, Data: request(j, c.Type)})
			})
		case a.check != nil:
			_, err = s.reportCheckRun(ctx, j, a.check, sendOpts{background: true, also: done})
		default:
			_, err = s.reportAction(ctx, j, a.action, sendOpts{background: true, also: done})
		}
		switch {
		case err == nil, errors.Is(err, errLeaseLost):
			return
		case unreportable(err):
			s.giveUp(ctx, j.Fail("the integration is uninstalled", "failed", s.now()), err)
			s.finish(ctx, c, owner, installations.CallDone, "the installation is finalized")
			return
		case !errors.Is(err, errStale):
			s.release(ctx, c, owner, err)
			return
		}
		if j, err = s.Store.GetDeploymentJob(ctx, j.ID); err != nil {
			s.release(ctx, c, owner, err)
			return
		}
	}
	s.release(ctx, c, owner, errStale)
}

var errLeaseLost = errors.New("deployments: the hook call's lease ran out before its answer was recorded")

// doneWith marks call c done in the caller's transaction, if owner still
// holds its lease (errLeaseLost otherwise: the answer is not used, the
// call's next attempt asks again with the same webhook-id).
func (s *Service) doneWith(c installations.DeploymentCall, owner string) also {
	return func(ctx context.Context, tx installations.Tx) error {
		c.Status, c.Attempts, c.LastError = installations.CallDone, c.Attempts+1, ""
		ok, err := tx.FinishDeploymentCall(ctx, c, owner)
		if err == nil && !ok {
			err = errLeaseLost
		}
		return err
	}
}

// finish records the call's end (status done or expired).
func (s *Service) finish(ctx context.Context, c installations.DeploymentCall, owner, status, note string) {
	ctx = context.WithoutCancel(ctx)
	c.Status, c.Attempts, c.LastError = status, c.Attempts+1, note
	err := s.Tx(ctx, func(tx installations.Tx) error {
		_, err := tx.FinishDeploymentCall(ctx, c, owner)
		return err
	})
	if err != nil {
		s.Log.Error("record a deployment hook call", "call_id", c.ID, "err", err)
	}
}

// retry schedules the call's next attempt with backoff; past its
// deadline it expires (the job then times out).
func (s *Service) retry(ctx context.Context, c installations.DeploymentCall, owner string, cause error) {
	c.Attempts++
	c.NextAttemptAt = s.now().Add(s.backoff(c.Attempts))
	c.Status, c.LastError = installations.CallPending, truncate(cause.Error(), 500)
	if !c.NextAttemptAt.Before(c.Deadline) {
		c.Status = installations.CallExpired
	}
	ctx = context.WithoutCancel(ctx)
	err := s.Tx(ctx, func(tx installations.Tx) error {
		_, err := tx.FinishDeploymentCall(ctx, c, owner)
		return err
	})
	if err != nil {
		s.Log.Error("record a deployment hook call", "call_id", c.ID, "err", err)
	}
}

// release gives the lease back without counting an attempt.
func (s *Service) release(ctx context.Context, c installations.DeploymentCall, owner string, cause error) {
	if cause != nil {
		s.Log.Error("deployment hook call: could not go on; will try again", "call_id", c.ID, "err", cause)
	}
	if err := s.Store.ReleaseDeploymentCall(context.WithoutCancel(ctx), c.ID, owner); err != nil {
		s.Log.Warn("release deployment hook call", "call_id", c.ID, "err", err)
	}
}

// backoff is base·2^(attempts-1), capped, with equal jitter.
func (s *Service) backoff(attempts int) time.Duration {
	d := s.opts.BaseBackoff
	for i := 1; i < attempts && d < s.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, s.opts.MaxBackoff)
	if half := d / 2; half > 0 {
		d = half + mrand.N(half+1)
	}
	return d
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
