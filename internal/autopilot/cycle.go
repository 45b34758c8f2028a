package autopilot

import (
	"context"
	"fmt"
	"time"

	"github.com/vercel-partner/partner-server/internal/billing"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// finalWindow is how long after a period's end Vercel still takes its
// billing data (eod and period.end at most 24 h old).
const finalWindow = 24 * time.Hour

// account is one installation's billing inputs for a cycle.
type account struct {
	in        installations.Installation
	resources []installations.Resource
	records   []billing.Record // from the previous period's start on
}

// installation runs the cycle for one installation.
func (a *Autopilot) installation(ctx context.Context, r *Report, in installations.Installation, now time.Time) error {
	acc, err := a.load(ctx, in, now)
	if err != nil {
		return err
	}
	if in.Status == installations.StatusPendingFinalization {
		return a.uninstalled(ctx, r, acc, now)
	}
	start, end := billing.Period(now)
	prevStart, _ := billing.Period(start.Add(-time.Millisecond))
	if err := a.endedPeriod(ctx, r, acc, prevStart, start, now); err != nil {
		return err
	}
	st, err := a.statement(acc, start, end, now)
	if err != nil || len(st.Lines) == 0 {
		return err
	}
	if err := a.enqueue(ctx, &r.BillingData, billingData(in.ID, st, now, nil)); err != nil {
		return err
	}
	return a.balances(ctx, r, in.ID, st, now)
}

// load reads the installation's resources and its usage since the start
// of the previous period (the one an invoice may still be due for).
func (a *Autopilot) load(ctx context.Context, in installations.Installation, now time.Time) (account, error) {
	resources, err := a.Resources.ListResources(ctx, in.ID)
	if err != nil {
		return account{}, err
	}
	start, end := billing.Period(now)
	if in.DeletedAt != nil && in.DeletedAt.Before(start) {
		start, end = billing.Period(*in.DeletedAt)
	}
	prevStart, _ := billing.Period(start.Add(-time.Millisecond))
	records, err := a.Usage.Usage(ctx, in.ID, prevStart, end)
	return account{in: in, resources: resources, records: records}, err
}

// statement prices [start, end) as of now, for the subjects that existed
// before end.
func (a *Autopilot) statement(acc account, start, end, now time.Time) (billing.Statement, error) {
	var existed []installations.Resource
	for _, res := range acc.resources {
		if res.CreatedAt.Before(end) {
			existed = append(existed, res)
		}
	}
	in := acc.in
	if !in.CreatedAt.Before(end) {
		in.BillingPlanID = ""
	}
	subjects, err := a.Catalog.Subjects(in, existed)
	if err != nil {
		return billing.Statement{}, fmt.Errorf("installation %s: %w", in.ID, err)
	}
	return billing.Compute(subjects, acc.records, start, end, now)
}

// endedPeriod handles the period [start, end) that ended before now: its
// last billing data once while Vercel still takes it, draws from prepaid
// balances, and its one invoice.
func (a *Autopilot) endedPeriod(ctx context.Context, r *Report, acc account, start, end, now time.Time) error {
	st, err := a.statement(acc, start, end, now)
	if err != nil || len(st.Lines) == 0 {
		return err
	}
	id := acc.in.ID
	if now.Before(end.Add(finalWindow)) {
		done, err := a.Billing.Marked(ctx, id, installations.MarkFinalData, start)
		if err != nil {
			return err
		}
		if !done {
			claim := claimMark(id, installations.MarkFinalData, start)
			if err := a.enqueue(ctx, &r.BillingData, billingData(id, st, now, claim)); err != nil {
				return err
			}
		}
	}
	if _, err := a.draw(ctx, id, st); err != nil {
		return err
	}
	return a.invoice(ctx, r, id, st, false)
}

// invoice queues the period's one invoice when its total is not zero,
// claiming the period's invoice run in the same transaction.
func (a *Autopilot) invoice(ctx context.Context, r *Report, id string, st billing.Statement, final bool) error {
	if st.InvoiceTotal().IsZero() {
		return nil
	}
	if _, done, err := a.Billing.InvoiceRun(ctx, id, st.PeriodStart); err != nil || done {
		return err
	}
	body := invoiceBody(id, st, final)
	run := installations.InvoiceRun{InstallationID: id, PeriodStart: st.PeriodStart, PeriodEnd: st.PeriodEnd,
		ExternalID: body.ExternalID, Final: final, Total: st.InvoiceTotal().StringFixed(2)}
	w := deliveries.SubmitInvoice(id, body)
	w.Local = func(ctx context.Context, tx installations.Tx, deliveryID string) error {
		run.DeliveryID = deliveryID
		ok, err := billingTx(tx).ClaimInvoiceRun(ctx, run)
		if err == nil && !ok {
			err = errQueued
		}
		return err
	}
	return a.enqueue(ctx, &r.Invoices, w)
}

// balances draws the open period's prepaid usage and sends the balances.
func (a *Autopilot) balances(ctx context.Context, r *Report, id string, st billing.Statement, now time.Time) error {
	bal, err := a.draw(ctx, id, st)
	if err != nil || bal == nil {
		return err
	}
	body := &vercelapi.PrepaymentBalances{Timestamp: vercelapi.NewTime(now), Balances: make([]vercelapi.Balance, len(bal))}
	for i, b := range bal {
		body.Balances[i] = vercelapi.Balance{ResourceID: b.ResourceID, CurrencyValueInCents: float64(b.Cents)}
	}
	w := deliveries.SubmitBalances(id, body)
	w.Background = true
	return a.enqueue(ctx, &r.Balances, w)
}

// draw applies the statement's prepaid draws; nil when it has none.
func (a *Autopilot) draw(ctx context.Context, id string, st billing.Statement) ([]installations.Balance, error) {
	draws, err := billing.Drawdown(st)
	if err != nil || len(draws) == 0 {
		return nil, err
	}
	bal, err := a.Billing.Draw(ctx, id, st.PeriodStart, draws)
	if bal == nil && err == nil {
		bal = []installations.Balance{}
	}
	return bal, err
}

// uninstalled bills an installation pending finalization: the period
// before its uninstall if still due, a final invoice for the partial
// period up to now, then finalizeInstallation once those invoices are
// accepted.
func (a *Autopilot) uninstalled(ctx context.Context, r *Report, acc account, now time.Time) error {
	gone := now
	if acc.in.DeletedAt != nil {
		gone = *acc.in.DeletedAt
	}
	start, end := billing.Period(gone)
	prevStart, _ := billing.Period(start.Add(-time.Millisecond))
	if err := a.endedPeriod(ctx, r, acc, prevStart, start, now); err != nil {
		return err
	}
	st, err := a.statement(acc, start, partialEnd(start, end, now), now)
	if err != nil {
		return err
	}
	if err := a.invoice(ctx, r, acc.in.ID, st, true); err != nil {
		return err
	}
	return a.finalize(ctx, r, acc.in.ID, prevStart, start)
}

// partialEnd ends an uninstalled installation's last period at now, kept
// inside [start, end] and after start (Vercel wants start < end).
func partialEnd(start, end, now time.Time) time.Time {
	switch {
	case now.After(end):
		return end
	case !now.After(start):
		return start.Add(time.Millisecond)
	}
	return now
}

// finalize queues finalizeInstallation, once, when every invoice run of
// periods is delivered; a refused invoice holds it back for an operator.
func (a *Autopilot) finalize(ctx context.Context, r *Report, id string, periods ...time.Time) error {
	last := periods[len(periods)-1]
	done, err := a.Billing.Marked(ctx, id, installations.MarkFinalize, last)
	if err != nil || done {
		return err
	}
	if ok, err := a.invoicesAccepted(ctx, id, periods); err != nil || !ok {
		return err
	}
	d, err := a.Lifecycle.Finalize(ctx, "", id, claimMark(id, installations.MarkFinalize, last))
	return a.queued(&r.Finalizations, id, deliveries.OpFinalize, d, err)
}

// invoicesAccepted reports whether Vercel accepted every invoice queued
// for periods (true when none was).
func (a *Autopilot) invoicesAccepted(ctx context.Context, id string, periods []time.Time) (bool, error) {
	for _, p := range periods {
		run, ok, err := a.Billing.InvoiceRun(ctx, id, p)
		if err != nil {
			return false, err
		}
		if !ok {
			continue
		}
		d, err := a.Deliveries.Get(ctx, run.DeliveryID)
		if err != nil {
			return false, err
		}
		if d.Status == deliveries.StatusPending {
			return false, nil
		}
		if d.Status != deliveries.StatusDelivered {
			a.Log.Warn("invoice not accepted; finalization waits for an operator", "installation_id", id,
				"delivery_id", d.ID, "status", d.Status)
			return false, nil
		}
	}
	return true, nil
}

// claimMark claims a billing mark in a delivery's transaction.
func claimMark(id, kind string, period time.Time) deliveries.Local {
	return func(ctx context.Context, tx installations.Tx, deliveryID string) error {
		ok, err := billingTx(tx).ClaimMark(ctx, id, kind, period, deliveryID)
		if err == nil && !ok {
			err = errQueued
		}
		return err
	}
}

func billingTx(tx installations.Tx) installations.BillingTx {
	if b, ok := tx.(installations.BillingTx); ok {
		return b
	}
	return noBillingTx{}
}

// noBillingTx refuses: a store without billing bookkeeping cannot promise
// exactly once.
type noBillingTx struct{}

func (noBillingTx) ClaimInvoiceRun(context.Context, installations.InvoiceRun) (bool, error) {
	return false, errNoBillingTx
}

func (noBillingTx) ClaimMark(context.Context, string, string, time.Time, string) (bool, error) {
	return false, errNoBillingTx
}

var errNoBillingTx = fmt.Errorf("autopilot: the store's transactions keep no billing bookkeeping")
