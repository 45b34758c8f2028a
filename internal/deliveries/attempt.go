package deliveries

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"

	"github.com/jmoiron/sqlx"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// maxLastError bounds last_error; it holds our summary of Vercel's answer
// (status, code, message, request id), never a token or a body we sent.
const maxLastError = 500

// attempt makes one call for d, which owner has leased, and records the
// outcome. It returns the delivery as recorded. If ctx was cancelled
// before an answer (shutdown), the lease is released and nothing counted.
func (s *Service) attempt(ctx context.Context, d Delivery, owner string) Delivery {
	result, err := s.call(ctx, d)
	if err != nil && errors.Is(err, context.Canceled) {
		if rerr := s.store.release(context.WithoutCancel(ctx), d.ID, owner); rerr != nil {
			s.Log.Warn("release delivery lease", "delivery_id", d.ID, "err", rerr)
		}
		return d
	}
	outcome := outcomeOf(err)
	if s.Metrics != nil {
		s.Metrics.Forwarded.WithLabelValues(d.Operation, outcome).Inc()
	}
	now := s.now()
	d.Attempts++
	d.UpdatedAt = now
	d.LastError = ""
	if err != nil {
		d.LastError = truncate(err.Error(), maxLastError)
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
		if d.NextAttemptAt.Sub(d.CreatedAt) > s.opts.MaxAge {
			d.Status = StatusDead
		}
	default:
		d.Status = StatusRejected
		if ae, ok := errors.AsType[*vercelapi.APIError](err); ok {
			d.ResultStatus, d.Result = ae.StatusCode, vercelDetail(ae.StatusCode, ae.Body)
		}
	}
	if d.Final() {
		d.FinishedAt = &now
	}
	if err := s.finish(context.WithoutCancel(ctx), d, owner); err != nil {
		s.Log.Error("record delivery attempt", "delivery_id", d.ID, "err", err)
	}
	s.Log.Debug("delivery attempt", "delivery_id", d.ID, "operation", d.Operation, "outcome", outcome,
		"attempts", d.Attempts, "status", d.Status)
	return d
}

// call reads the token and makes the Vercel call.
func (s *Service) call(ctx context.Context, d Delivery) (json.RawMessage, error) {
	body, err := s.body(d)
	if err != nil {
		return nil, fmt.Errorf("open delivery body: %w", err)
	}
	token, err := s.Installations.Token(ctx, d.InstallationID)
	if err != nil {
		if ae, ok := errors.AsType[*apperr.Error](err); ok {
			return nil, fmt.Errorf("installation token: %s", ae.Message)
		}
		// A database hiccup: try again later.
		return nil, &vercelapi.TransportError{Method: "token", Path: d.InstallationID, Err: errors.New("could not read the installation token")}
	}
	return s.send(ctx, token, d, body)
}

// finish stores the attempt's outcome with what it implies locally: a
// delivered invoice is recorded, a dead delivery announced on the feed.
func (s *Service) finish(ctx context.Context, d Delivery, owner string) error {
	if d.Status != StatusDead && (d.Status != StatusDelivered || d.Operation != OpSubmitInvoice) {
		_, err := s.store.finish(ctx, s.DB.DB, owner, d) // one statement: no transaction needed
		return err
	}
	return s.DB.Tx(ctx, func(tx *sqlx.Tx) error {
		ok, err := s.store.finish(ctx, tx, owner, d)
		if err != nil || !ok {
			return err // lost the lease: whoever holds it records instead
		}
		switch {
		case d.Status == StatusDelivered && d.Operation == OpSubmitInvoice:
			return s.recordInvoice(ctx, tx, d)
		case d.Status == StatusDead:
			return db.AppendEventTx(ctx, tx, db.EventDeliveryDead, d.InstallationID, d.ID, map[string]any{
				"deliveryId": d.ID, "operation": d.Operation, "target": d.Target,
				"attempts": d.Attempts, "lastError": d.LastError,
			})
		}
		return nil
	})
}

// recordInvoice keeps Vercel's invoiceId of a submitted invoice, so the
// dashboard can list invoices and refunds can name them.
func (s *Service) recordInvoice(ctx context.Context, tx *sqlx.Tx, d Delivery) error {
	var res vercelapi.SubmitInvoiceResult
	if json.Unmarshal(d.Result, &res) != nil || res.InvoiceID == "" || s.Invoices == nil {
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
	return s.Invoices.PutInvoiceTx(ctx, tx, installations.Invoice{
		InstallationID: d.InstallationID, ID: res.InvoiceID, ExternalID: req.ExternalID,
		Total: invoiceTotal(req), Test: req.Test != nil, State: vercelapi.InvoicePending,
		PeriodStart: req.Period.Start.Time, PeriodEnd: req.Period.End.Time,
	})
}

// invoiceTotal is the sum of item totals less discounts, as a decimal.
func invoiceTotal(req vercelapi.InvoiceRequest) string {
	sum := new(big.Rat)
	add := func(m vercelapi.Money, sign int) {
		if r, ok := new(big.Rat).SetString(string(m)); ok {
			if sign < 0 {
				r.Neg(r)
			}
			sum.Add(sum, r)
		}
	}
	for _, it := range req.Items {
		add(it.Total, 1)
	}
	for _, dc := range req.Discounts {
		add(dc.Amount, -1)
	}
	return sum.FloatString(2)
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
