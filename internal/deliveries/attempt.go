package deliveries

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelcall"
)

// maxLastError bounds last_error; it holds our summary of Vercel's answer
// (status, code, message, request id), never a token or a body we sent.
const maxLastError = 500

// attempt makes one call for d, which owner has leased, and records the
// outcome before anything else. It returns the delivery as recorded: when
// the outcome cannot be recorded, as still pending (it will be tried
// again, which the repeat rules below make harmless). If ctx was cancelled
// before an answer (shutdown), the lease is released and nothing counted.
func (s *Service) attempt(ctx context.Context, d Delivery, owner string, v vercelcall.Installation) Delivery {
	prev := d
	o := opOf(d.Operation)
	body, err := s.body(d)
	var result json.RawMessage
	if err != nil {
		err = fmt.Errorf("open delivery body: %w", err)
	} else {
		result, err = o.send(ctx, v, d, body)
	}
	if err != nil && errors.Is(err, context.Canceled) {
		if rerr := s.Store.ReleaseDelivery(context.WithoutCancel(ctx), d.ID, owner); rerr != nil {
			s.Log.Warn("release delivery lease", "delivery_id", d.ID, "err", rerr)
		}
		return d
	}
	class := vercelcall.Classify(err)
	if err != nil && d.Leases > d.Attempts+1 && ((o.conflictIsDone && class.Status == 409) || (o.notFoundIsDone && class.Status == 404)) {
		err, class, result = nil, vercelcall.Class{}, json.RawMessage(`{"alreadyDelivered":true}`)
	}
	outcome := outcomeOf(err, class)
	d = s.outcome(d, o, result, err, class)
	if ferr := s.finish(context.WithoutCancel(ctx), d, owner, o, body); ferr != nil {
		s.Log.Error("could not record a delivery attempt; it will be tried again",
			"delivery_id", d.ID, "operation", d.Operation, "err", ferr)
		prev.LastError = "the outcome of the last attempt could not be recorded"
		return prev
	}
	if s.Metrics != nil {
		s.Metrics.Forwarded.WithLabelValues(d.Operation, outcome).Inc()
	}
	s.Log.Debug("delivery attempt", "delivery_id", d.ID, "operation", d.Operation, "outcome", outcome,
		"attempts", d.Attempts, "status", d.Status)
	return d
}

// outcome applies one attempt's result to d.
func (s *Service) outcome(d Delivery, o op, result json.RawMessage, err error, class vercelcall.Class) Delivery {
	now := s.now()
	last := d.LastError
	d.Attempts++
	d.UpdatedAt = now
	d.LastError = ""
	if err != nil {
		d.LastError = truncate(err.Error(), maxLastError)
	}
	if class.Persistent && sameFailure(d.LastError, last) {
		d.Repeats++
	} else {
		d.Repeats = 0
	}
	switch {
	case err == nil:
		d.Status, d.ResultStatus, d.Result = StatusDelivered, okStatus(o), result
		if d.Result == nil {
			d.Result = json.RawMessage("null")
		}
	case class.Retryable:
		wait := backoff(d.Attempts, s.opts.BaseBackoff, s.opts.MaxBackoff, class.RetryAfter)
		d.NextAttemptAt = now.Add(wait)
		if d.NextAttemptAt.Sub(d.AgeFrom()) > s.opts.MaxAge || d.Repeats+1 >= s.opts.DeadAfterRepeats {
			d.Status = StatusDead
		}
	default:
		d.Status = StatusRejected
		if class.Status != 0 {
			d.ResultStatus, d.Result = class.Status, class.Detail
		}
	}
	if d.Final() {
		d.FinishedAt = &now
	}
	return d
}

// okStatus is our answer's status for a delivered write: 201 where Vercel
// created something (an invoice), else 200.
func okStatus(o op) int {
	if o.created {
		return 201
	}
	return 200
}

// requestID is the part of an error text that differs between otherwise
// identical answers.
var requestID = regexp.MustCompile(` \(request id [^)]*\)`)

// sameFailure reports whether two recorded errors are the same answer.
func sameFailure(a, b string) bool {
	return a != "" && requestID.ReplaceAllString(a, "") == requestID.ReplaceAllString(b, "")
}

// finish stores the attempt's outcome with what it implies locally: what
// the operation changes once delivered (an invoice recorded, a token
// wiped), or a dead delivery announced on the feed.
func (s *Service) finish(ctx context.Context, d Delivery, owner string, o op, body []byte) error {
	var changes []func(context.Context, installations.Tx) error
	switch {
	case d.Status == StatusDelivered && o.delivered != nil:
		changes = append(changes, func(ctx context.Context, tx installations.Tx) error { return o.delivered(ctx, tx, d, body) })
	case d.Status == StatusDead:
		changes = append(changes, func(ctx context.Context, tx installations.Tx) error {
			return tx.AppendEvent(ctx, installations.NewEvent{Type: installations.EventDeliveryDead,
				InstallationID: d.InstallationID, Subject: d.ID, Data: map[string]any{
					"deliveryId": d.ID, "operation": d.Operation, "target": d.Target,
					"attempts": d.Attempts, "lastError": d.LastError,
				}})
		})
	}
	if (d.Status == StatusRejected || d.Status == StatusDead) && o.refused != nil {
		changes = append(changes, func(ctx context.Context, tx installations.Tx) error { return o.refused(ctx, tx, d, body) })
	}
	var local installations.LocalChange
	if len(changes) > 0 {
		local = func(ctx context.Context, tx installations.Tx) error {
			for _, change := range changes {
				if err := change(ctx, tx); err != nil {
					return err
				}
			}
			return nil
		}
	}
	if d.Final() && o.sealed {
		d.Body, d.BodyKeyID = "", "" // secret values are kept only until they are sent
	}
	_, err := s.Store.FinishDelivery(ctx, d, owner, local)
	return err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
