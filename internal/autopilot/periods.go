package autopilot

import (
	"context"
	"encoding/json"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// InvoicePeriod is the invoice the autopilot queued for one billing period
// and what became of it at Vercel. A refused one says why and can be
// queued again (RequeueInvoice).
type InvoicePeriod struct {
	Start, End time.Time
	ExternalID string
	Total      string
	Final      bool
	QueuedAt   time.Time
	// The delivery now carrying the invoice, and its state: pending,
	// delivered, rejected (Vercel refused it) or dead (never accepted in
	// time).
	DeliveryID string
	Status     string
	// Reason is our summary of Vercel's last answer when the invoice was
	// refused or died; Vercel is Vercel's status and body of a refusal.
	Reason string
	Vercel json.RawMessage
	// Requeues counts the operators' re-queues; PreviousDeliveryID is the
	// delivery refused last.
	Requeues           int
	PreviousDeliveryID string
}

// Refused reports whether the invoice can be queued again.
func (p InvoicePeriod) Refused() bool {
	return p.Status == deliveries.StatusRejected || p.Status == deliveries.StatusDead
}

// InvoicePeriods lists the invoices queued for an installation, newest
// period first, each with its delivery's state.
func (a *Autopilot) InvoicePeriods(ctx context.Context, installationID string) ([]InvoicePeriod, error) {
	if _, err := a.Installations.Get(ctx, installationID); err != nil {
		return nil, err
	}
	runs, err := a.Billing.InvoiceRuns(ctx, installationID)
	if err != nil {
		return nil, err
	}
	out := make([]InvoicePeriod, 0, len(runs))
	for _, run := range runs {
		p, err := a.invoicePeriod(ctx, run)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func (a *Autopilot) invoicePeriod(ctx context.Context, run installations.InvoiceRun) (InvoicePeriod, error) {
	d, err := a.Deliveries.Get(ctx, run.DeliveryID)
	if err != nil {
		return InvoicePeriod{}, err
	}
	p := InvoicePeriod{Start: run.PeriodStart, End: run.PeriodEnd, ExternalID: run.ExternalID, Total: run.Total,
		Final: run.Final, QueuedAt: run.CreatedAt, DeliveryID: d.ID, Status: d.Status,
		Requeues: run.Requeues, PreviousDeliveryID: run.PreviousDeliveryID}
	if p.Refused() {
		p.Reason = d.LastError
		if d.ResultStatus != 0 {
			p.Vercel = d.Result
		}
	}
	return p, nil
}

// Refusals of RequeueInvoice.
var (
	errInvoicePending   = apperr.New(apperr.Conflict, "invoice_pending", "the invoice is still being delivered; retry or cancel its delivery first")
	errInvoiceAccepted  = apperr.New(apperr.Conflict, "invoice_accepted", "Vercel accepted this invoice; it is never sent twice")
	errRequeued         = apperr.New(apperr.Conflict, "invoice_requeued", "the invoice was queued again by another request just now")
	errNothingToInvoice = apperr.New(apperr.Conflict, "nothing_to_invoice",
		"the period, priced again, owes nothing; there is no invoice to send")
)

// RequeueInvoice queues a period's invoice again after Vercel refused it
// or its delivery died, once the cause is fixed. It is priced afresh from
// the usage ledger and the catalog (the fix may be there), with the same
// externalId, so Vercel, which keeps externalIds unique, never holds it
// twice. An invoice still on its way or accepted is never queued again,
// and of concurrent re-queues of one refusal one wins. The first attempt
// is made at once: the delivery comes back as it stands, with the error a
// new refusal makes.
func (a *Autopilot) RequeueInvoice(ctx context.Context, installationID string, periodStart time.Time) (InvoicePeriod, deliveries.Delivery, error) {
	in, err := a.Installations.Get(ctx, installationID)
	if err != nil {
		return InvoicePeriod{}, deliveries.Delivery{}, err
	}
	run, ok, err := a.Billing.InvoiceRun(ctx, installationID, periodStart)
	if err == nil && !ok {
		err = apperr.NotFoundf("no invoice was queued for %s", periodStart.UTC().Format("2006-01"))
	}
	if err != nil {
		return InvoicePeriod{}, deliveries.Delivery{}, err
	}
	if err := a.requeueable(ctx, run); err != nil {
		return InvoicePeriod{}, deliveries.Delivery{}, err
	}
	d, err := a.requeue(ctx, in, run)
	if d.ID == "" {
		return InvoicePeriod{}, d, err
	}
	a.Log.InfoContext(ctx, "refused invoice queued again", "installation_id", installationID,
		"period", periodStart.UTC().Format("2006-01"), "previous_delivery_id", run.DeliveryID, "delivery_id", d.ID)
	cur, _, rerr := a.Billing.InvoiceRun(ctx, installationID, periodStart)
	p, perr := a.invoicePeriod(ctx, cur)
	if rerr != nil || perr != nil { // the re-queue is committed; describe it from what we know
		p = InvoicePeriod{Start: run.PeriodStart, End: run.PeriodEnd, ExternalID: run.ExternalID, Final: run.Final,
			QueuedAt: run.CreatedAt, DeliveryID: d.ID, Status: d.Status, Reason: d.LastError,
			Requeues: run.Requeues + 1, PreviousDeliveryID: run.DeliveryID}
	}
	return p, d, err
}

// requeueable refuses a run whose invoice is on its way or accepted.
func (a *Autopilot) requeueable(ctx context.Context, run installations.InvoiceRun) error {
	d, err := a.Deliveries.Get(ctx, run.DeliveryID)
	switch {
	case err != nil:
		return err
	case d.Status == deliveries.StatusPending:
		return errInvoicePending
	case d.Status == deliveries.StatusDelivered:
		return errInvoiceAccepted
	}
	return nil
}

// requeue prices the run's period again and queues its invoice, moving
// the run to the new delivery in the same transaction.
func (a *Autopilot) requeue(ctx context.Context, in installations.Installation, run installations.InvoiceRun) (deliveries.Delivery, error) {
	now := a.Now().UTC().Truncate(time.Millisecond)
	acc, err := a.load(ctx, in, run.PeriodStart)
	if err != nil {
		return deliveries.Delivery{}, err
	}
	st, err := a.statement(ctx, acc, run.PeriodStart, run.PeriodEnd, now)
	if err != nil {
		return deliveries.Delivery{}, err
	}
	drawn, err := a.draw(ctx, in.ID, st)
	if err != nil {
		return deliveries.Delivery{}, err
	}
	items, total := st.Invoice(uncovered(drawn))
	if total.IsZero() {
		return deliveries.Delivery{}, errNothingToInvoice
	}
	body := invoiceBody(in.ID, st, items, run.Final)
	sum := total.StringFixed(2)
	w := deliveries.SubmitInvoice(in.ID, body)
	w.Local = func(ctx context.Context, tx installations.Tx, to string) error {
		ok, err := billingTx(tx).RequeueInvoiceRun(ctx, in.ID, run.PeriodStart, run.DeliveryID, to, sum)
		if err == nil && !ok {
			err = errRequeued
		}
		if err != nil {
			return err
		}
		return tx.AppendEvent(ctx, installations.NewEvent{Type: installations.EventInvoiceRequeued,
			InstallationID: in.ID, Subject: body.ExternalID, Data: map[string]any{
				"externalId": body.ExternalID, "period": run.PeriodStart.UTC().Format("2006-01"), "total": sum,
				"previousDeliveryId": run.DeliveryID, "deliveryId": to,
			}})
	}
	return a.Deliveries.Enqueue(ctx, w)
}
