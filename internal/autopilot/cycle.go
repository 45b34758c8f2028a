package autopilot

import (
	"context"
	"fmt"
	"time"

	"github.com/vercel-partner/partner-server/internal/billing"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// finalWindow is how long after a period's end Vercel still takes its
// billing data (eod and period.end at most 24 h old).
const finalWindow = 24 * time.Hour

// settle is how long after the late-usage grace an ended period waits
// before it is priced for good, so that a usage request accepted in the
// grace's last moment has committed.
const settle = time.Minute

// account is one installation's billing subjects for a cycle.
type account struct {
	in      installations.Installation
	live    []installations.Resource
	deleted []installations.DeletedResource // deleted after the oldest period the cycle prices
}

// installation runs the cycle for one installation: the ended periods not
// yet settled, then the open period's billing data and prepaid balances.
func (a *Autopilot) installation(ctx context.Context, r *Report, in installations.Installation, now time.Time) error {
	if in.Status == installations.StatusPendingFinalization {
		return a.uninstalled(ctx, r, in, now)
	}
	start, end := billing.Period(now)
	from, err := a.firstUnsettled(ctx, in, now)
	if err != nil {
		return err
	}
	acc, err := a.load(ctx, in, earlier(from, start))
	if err != nil {
		return err
	}
	if _, err := a.backlog(ctx, r, acc, from, start, now); err != nil {
		return err
	}
	st, err := a.statement(ctx, acc, start, end, now)
	if err != nil || len(st.Lines) == 0 {
		return err
	}
	if err := a.enqueue(ctx, &r.BillingData, billingData(in.ID, st, now, nil)); err != nil {
		return err
	}
	return a.balances(ctx, r, in.ID, st, now)
}

// firstUnsettled returns the start of the installation's oldest period
// not yet settled: its billing cursor, or the period it was created in.
func (a *Autopilot) firstUnsettled(ctx context.Context, in installations.Installation, now time.Time) (time.Time, error) {
	next, ok, err := a.Billing.NextPeriod(ctx, in.ID)
	return installations.UnsettledFrom(in, next, ok, now), err
}

// load reads the installation's resources, live and deleted after since.
func (a *Autopilot) load(ctx context.Context, in installations.Installation, since time.Time) (account, error) {
	live, err := a.Resources.ListResources(ctx, in.ID)
	if err != nil {
		return account{}, err
	}
	deleted, err := a.Usage.DeletedResources(ctx, in.ID, since)
	return account{in: in, live: live, deleted: deleted}, err
}

// statement prices [start, end) as of now, for the subjects that existed
// in it: resources deleted in it are billed for the part they lived.
func (a *Autopilot) statement(ctx context.Context, acc account, start, end, now time.Time) (billing.Statement, error) {
	in := acc.in
	if !in.CreatedAt.Before(end) {
		in.BillingPlanID = ""
	}
	subjects, err := a.Catalog.Subjects(in, installations.BilledIn(acc.live, acc.deleted, start, end))
	if err != nil {
		return billing.Statement{}, fmt.Errorf("installation %s: %w", in.ID, err)
	}
	if len(subjects) == 0 {
		return billing.Statement{PeriodStart: start, PeriodEnd: end}, nil
	}
	records, err := a.Usage.Usage(ctx, in.ID, start, end)
	if err != nil {
		return billing.Statement{}, err
	}
	return billing.Compute(subjects, records, start, end, now)
}

// backlog settles the ended periods from from up to until, oldest first,
// each once its late-usage grace is over, and returns the first period
// left unsettled. A failure stops it there; the next cycle resumes.
func (a *Autopilot) backlog(ctx context.Context, r *Report, acc account, from, until, now time.Time) (time.Time, error) {
	p := from
	for p.Before(until) {
		_, end := billing.Period(p)
		if now.Before(end.Add(a.Grace + settle)) {
			break
		}
		if err := a.endedPeriod(ctx, r, acc, p, end, now); err != nil {
			return p, err
		}
		if err := a.Billing.SettleThrough(ctx, acc.in.ID, end); err != nil {
			return p, err
		}
		p = end
	}
	return p, nil
}

// endedPeriod handles the period [start, end): its last billing data once
// while Vercel still takes it, its prepaid draws, and its one invoice.
func (a *Autopilot) endedPeriod(ctx context.Context, r *Report, acc account, start, end, now time.Time) error {
	st, err := a.statement(ctx, acc, start, end, now)
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
	drawn, err := a.draw(ctx, id, st)
	if err != nil {
		return err
	}
	return a.invoice(ctx, r, id, st, uncovered(drawn), false)
}

// invoice queues the period's one invoice when its total is not zero,
// claiming the period's invoice run in the same transaction.
func (a *Autopilot) invoice(ctx context.Context, r *Report, id string, st billing.Statement, short []billing.Draw, final bool) error {
	items, total := st.Invoice(short)
	if total.IsZero() {
		return nil
	}
	if _, done, err := a.Billing.InvoiceRun(ctx, id, st.PeriodStart); err != nil || done {
		return err
	}
	body := invoiceBody(id, st, items, final)
	run := installations.InvoiceRun{InstallationID: id, PeriodStart: st.PeriodStart, PeriodEnd: st.PeriodEnd,
		ExternalID: body.ExternalID, Final: final, Total: total.StringFixed(2)}
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

// uninstalled bills an installation pending finalization: the ended
// periods before its uninstall's not yet settled, a final invoice for the
// partial period up to now, then finalizeInstallation once every invoice
// is accepted.
func (a *Autopilot) uninstalled(ctx context.Context, r *Report, in installations.Installation, now time.Time) error {
	gone := now
	if in.DeletedAt != nil {
		gone = *in.DeletedAt
	}
	start, end := billing.Period(gone)
	from, err := a.firstUnsettled(ctx, in, now)
	if err != nil {
		return err
	}
	acc, err := a.load(ctx, in, earlier(from, start))
	if err != nil {
		return err
	}
	next, err := a.backlog(ctx, r, acc, from, start, now)
	if err != nil {
		return err
	}
	st, err := a.statement(ctx, acc, start, partialEnd(start, end, now), now)
	if err != nil {
		return err
	}
	drawn, err := a.draw(ctx, in.ID, st)
	if err != nil {
		return err
	}
	if err := a.invoice(ctx, r, in.ID, st, uncovered(drawn), true); err != nil {
		return err
	}
	if next.Before(start) {
		return nil // an earlier period is still in its grace
	}
	return a.finalize(ctx, r, in.ID, start)
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

// finalize queues finalizeInstallation, once, when Vercel accepted every
// invoice queued for the installation; a refused one holds it back until
// an operator queues it again (RequeueInvoice) or finalizes by hand.
func (a *Autopilot) finalize(ctx context.Context, r *Report, id string, last time.Time) error {
	done, err := a.Billing.Marked(ctx, id, installations.MarkFinalize, last)
	if err != nil || done {
		return err
	}
	if ok, err := a.invoicesAccepted(ctx, id); err != nil || !ok {
		return err
	}
	d, err := a.Lifecycle.Finalize(ctx, "", id, claimMark(id, installations.MarkFinalize, last))
	return a.queued(&r.Finalizations, id, deliveries.OpFinalize, d, err)
}

// invoicesAccepted reports whether Vercel accepted every invoice queued
// for the installation (true when none was).
func (a *Autopilot) invoicesAccepted(ctx context.Context, id string) (bool, error) {
	runs, err := a.Billing.InvoiceRuns(ctx, id)
	if err != nil {
		return false, err
	}
	for _, run := range runs {
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

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }
