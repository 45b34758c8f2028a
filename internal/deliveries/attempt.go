package deliveries

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/money"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
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
func (s *Service) attempt(ctx context.Context, d Delivery, owner string) Delivery {
	prev := d
	result, err := s.call(ctx, d)
	if err != nil && errors.Is(err, context.Canceled) {
		if rerr := s.Store.ReleaseDelivery(context.WithoutCancel(ctx), d.ID, owner); rerr != nil {
			s.Log.Warn("release delivery lease", "delivery_id", d.ID, "err", rerr)
		}
		return d
	}
	outcome := outcomeOf(err)
	if alreadyThere(d, err) {
		outcome, err, result = outcomeDelivered, nil, json.RawMessage(`{"alreadyDelivered":true}`)
	}
	d = s.outcome(d, result, err, outcome)
	if ferr := s.finish(context.WithoutCancel(ctx), d, owner); ferr != nil {
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
func (s *Service) outcome(d Delivery, result json.RawMessage, err error, outcome string) Delivery {
	now := s.now()
	last := d.LastError
	d.Attempts++
	d.UpdatedAt = now
	d.LastError = ""
	if err != nil {
		d.LastError = truncate(err.Error(), maxLastError)
	}
	if cannotHeal(err) && sameFailure(d.LastError, last) {
		d.Repeats++
	} else {
		d.Repeats = 0
	}
	switch {
	case err == nil:
		d.Status, d.ResultStatus, d.Result = StatusDelivered, okStatus(d.Operation), result
		if d.Result == nil {
			d.Result = json.RawMessage("null")
		}
	case outcome == outcomeRetryable:
		wait := backoff(d.Attempts, s.opts.BaseBackoff, s.opts.MaxBackoff, vercelapi.RetryAfter(err))
		d.NextAttemptAt = now.Add(wait)
		if d.NextAttemptAt.Sub(d.CreatedAt) > s.opts.MaxAge || d.Repeats+1 >= s.opts.DeadAfterRepeats {
			d.Status = StatusDead
		}
	default:
		d.Status = StatusRejected
		if ae, ok := errors.AsType[*vercelapi.APIError](err); ok {
			d.ResultStatus, d.Result = ae.StatusCode, vercelcall.Detail(ae.StatusCode, ae.Body)
		}
	}
	if d.Final() {
		d.FinishedAt = &now
	}
	return d
}

// cannotHeal reports whether err is an answer from Vercel that a later
// attempt has no reason to change: a 5xx other than the "try later" ones
// (502, 503, 504). An unreachable or overloaded Vercel is waited out.
func cannotHeal(err error) bool {
	ae, ok := errors.AsType[*vercelapi.APIError](err)
	return ok && ae.StatusCode >= 500 && ae.StatusCode != 502 && ae.StatusCode != 503 && ae.StatusCode != 504
}

// requestID is the part of an error text that differs between otherwise
// identical answers.
var requestID = regexp.MustCompile(` \(request id [^)]*\)`)

// sameFailure reports whether two recorded errors are the same answer.
func sameFailure(a, b string) bool {
	return a != "" && requestID.ReplaceAllString(a, "") == requestID.ReplaceAllString(b, "")
}

// alreadyThere reports whether a 409 means an earlier attempt of d landed:
// an invoice's externalId is unique at Vercel and a refund is refused
// while one is under way, so when an earlier attempt's outcome is unknown
// (it was leased before without a recorded answer) the conflict is our
// own earlier write.
func alreadyThere(d Delivery, err error) bool {
	ae, ok := errors.AsType[*vercelapi.APIError](err)
	if !ok || ae.StatusCode != 409 || d.Leases <= d.Attempts+1 {
		return false
	}
	return d.Operation == OpSubmitInvoice || d.Operation == OpUpdateInvoice
}

// call opens the stored body and makes the Vercel call with the
// installation's token.
func (s *Service) call(ctx context.Context, d Delivery) (json.RawMessage, error) {
	body, err := s.body(d)
	if err != nil {
		return nil, fmt.Errorf("open delivery body: %w", err)
	}
	return send(ctx, s.Vercel.For(d.InstallationID), d, body)
}

// finish stores the attempt's outcome with what it implies locally: a
// delivered invoice is recorded, a delivered finalization wipes the
// installation's token, a dead delivery is announced on the feed.
func (s *Service) finish(ctx context.Context, d Delivery, owner string) error {
	var local installations.LocalChange
	switch {
	case d.Status == StatusDelivered && d.Operation == OpSubmitInvoice:
		local = func(ctx context.Context, tx installations.Tx) error { return s.recordInvoice(ctx, tx, d) }
	case d.Status == StatusDelivered && d.Operation == OpFinalize:
		// Vercel expects nothing more: the token goes with the same commit.
		local = func(ctx context.Context, tx installations.Tx) error {
			return tx.FinalizeInstallation(ctx, d.InstallationID)
		}
	case d.Status == StatusDead:
		local = func(ctx context.Context, tx installations.Tx) error {
			return tx.AppendEvent(ctx, installations.NewEvent{Type: installations.EventDeliveryDead,
				InstallationID: d.InstallationID, Subject: d.ID, Data: map[string]any{
					"deliveryId": d.ID, "operation": d.Operation, "target": d.Target,
					"attempts": d.Attempts, "lastError": d.LastError,
				}})
		}
	}
	_, err := s.Store.FinishDelivery(ctx, d, owner, local)
	return err
}

// recordInvoice keeps Vercel's invoiceId of a submitted invoice, so the
// dashboard can list invoices and refunds can name them.
func (s *Service) recordInvoice(ctx context.Context, tx installations.Tx, d Delivery) error {
	var res vercelapi.SubmitInvoiceResult
	if json.Unmarshal(d.Result, &res) != nil || res.InvoiceID == "" {
		return nil
	}
	body, err := s.body(d)
	if err != nil {
		return err
	}
	var req vercelapi.InvoiceRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return err
	}
	return tx.PutInvoice(ctx, installations.Invoice{
		InstallationID: d.InstallationID, ID: res.InvoiceID, ExternalID: req.ExternalID,
		Total: invoiceTotal(req), Test: req.Test != nil, State: vercelapi.InvoicePending,
		PeriodStart: req.Period.Start.Time, PeriodEnd: req.Period.End.Time,
	})
}

// invoiceTotal is the sum of item totals less discounts, as a decimal.
func invoiceTotal(req vercelapi.InvoiceRequest) string {
	var sum money.Decimal
	for _, it := range req.Items {
		if m, err := money.Parse(string(it.Total)); err == nil {
			sum = sum.Add(m)
		}
	}
	for _, dc := range req.Discounts {
		if m, err := money.Parse(string(dc.Amount)); err == nil {
			sum = sum.Sub(m)
		}
	}
	return sum.StringFixed(2)
}

// okStatus is our answer's status for a delivered write: 201 where Vercel
// created something (an invoice), else 200.
func okStatus(op string) int {
	if op == OpSubmitInvoice {
		return 201
	}
	return 200
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
