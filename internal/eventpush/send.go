package eventpush

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"time"

	"github.com/vercel-partner/partner-server/internal/installations"
)

const (
	// leaseMargin is added to the attempt's timeout for recording it.
	leaseMargin = 10 * time.Second
	// maxLastError bounds the recorded error: our summary, never the
	// receiver's body.
	maxLastError = 300
	// maxDrain is how much of an answer is read (and thrown away) so the
	// connection can be reused.
	maxDrain = 64 << 10
)

// sendLoop claims due pushes for idle workers and attempts them until ctx
// ends, then waits for the attempts in flight.
func (s *Service) sendLoop(ctx context.Context) {
	idle := make(chan struct{}, s.opts.Workers)
	for range s.opts.Workers {
		idle <- struct{}{}
	}
	done := func() { idle <- struct{}{}; s.Wake() }
	defer func() {
		for range s.opts.Workers {
			<-idle // every attempt has ended
		}
	}()
	for ctx.Err() == nil {
		select { // at least one idle worker
		case <-idle:
		case <-ctx.Done():
			return
		}
		n := 1
		for n < s.opts.Workers && len(idle) > 0 {
			<-idle
			n++
		}
		owner, now := newOwner(), s.now()
		claimed, err := s.Store.ClaimPushes(ctx, owner, now, now.Add(s.opts.Timeout+leaseMargin), n)
		if err != nil && ctx.Err() == nil {
			s.Log.Error("claim pushes: the database refused; will try again", "err", err)
		}
		for _, p := range claimed {
			go func() {
				defer done()
				s.attempt(ctx, p, owner)
			}()
		}
		for range n - len(claimed) {
			idle <- struct{}{}
		}
		if len(claimed) < n {
			s.sleep(ctx, s.wake)
		}
	}
}

// attempt pushes p once and records the outcome. When ctx ends first
// (shutdown), the lease is released and nothing counted.
func (s *Service) attempt(ctx context.Context, p installations.Push, owner string) {
	actx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	err := s.post(actx, p)
	cancel()
	if err != nil && ctx.Err() != nil {
		if rerr := s.Store.ReleasePush(context.WithoutCancel(ctx), p.ID, owner); rerr != nil {
			s.Log.Warn("release push lease", "push_id", p.ID, "err", rerr)
		}
		return
	}
	p = s.outcome(p, err)
	if _, ferr := s.Store.FinishPush(context.WithoutCancel(ctx), p, owner); ferr != nil {
		s.Log.Error("could not record a push attempt; it will be tried again", "push_id", p.ID, "err", ferr)
		return
	}
	outcome := "delivered"
	switch p.Status {
	case installations.DeliveryDead:
		outcome = "dead"
		s.Log.Warn("push dead: the receiver kept failing for deliveries.max_age", "push_id", p.ID,
			"installation_id", p.InstallationID, "attempts", p.Attempts, "last_error", p.LastError)
	case installations.DeliveryPending:
		outcome = "failed"
	}
	s.outcomes.WithLabelValues(outcome).Inc()
	s.Log.Debug("push attempt", "push_id", p.ID, "outcome", outcome, "attempts", p.Attempts)
}

// outcome applies one attempt's result to p.
func (s *Service) outcome(p installations.Push, err error) installations.Push {
	now := s.now()
	p.Attempts++
	p.UpdatedAt = now
	p.LastError = ""
	if err == nil {
		p.Status, p.FinishedAt = installations.DeliveryDelivered, &now
		return p
	}
	p.LastError = err.Error()
	if len(p.LastError) > maxLastError {
		p.LastError = p.LastError[:maxLastError] + "..."
	}
	p.NextAttemptAt = now.Add(backoff(p.Attempts, s.opts.BaseBackoff, s.opts.MaxBackoff))
	if p.NextAttemptAt.Sub(p.Since) > s.opts.MaxAge {
		p.Status, p.FinishedAt = installations.DeliveryDead, &now
	}
	return p
}

// post sends one signed push; any answer but a 2xx is a failure, a
// redirect included (it is not followed). Errors never name the URL,
// which may carry a credential.
func (s *Service) post(ctx context.Context, p installations.Push) error {
	body := []byte(p.Body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.opts.URL, bytes.NewReader(body))
	if err != nil {
		return errors.New("push: bad events.push_url")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "partner-server event push")
	sign(req.Header, s.key, p.EventID, s.now().Unix(), body)
	resp, err := s.client.Do(req)
	if err != nil {
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("the receiver did not answer within %s", s.opts.Timeout)
		}
		return fmt.Errorf("the receiver is unreachable: %v", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
	switch {
	case resp.StatusCode/100 == 2:
		return nil
	case resp.StatusCode/100 == 3:
		return fmt.Errorf("the receiver answered %d (redirects are not followed)", resp.StatusCode)
	}
	return fmt.Errorf("the receiver answered %d", resp.StatusCode)
}

// backoff is the wait after attempts failures: base·2^(attempts-1),
// capped at maxWait, half of it random so that retries spread out.
func backoff(attempts int, base, maxWait time.Duration) time.Duration {
	d := base
	for i := 1; i < attempts && d < maxWait; i++ {
		d *= 2
	}
	d = min(d, maxWait)
	if half := d / 2; half > 0 {
		d = half + rand.N(half+1)
	}
	return d
}
