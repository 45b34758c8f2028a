package dunning

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// Action names.
const (
	ActionNotified  = "notified"  // the installation's notification set (Level says which)
	ActionCleared   = "cleared"   // the notification dunning set was cleared
	ActionEscalated = "escalated" // an invoice's grace ran out, Vercel confirmed it unpaid
	ActionPaid      = "paid"      // Vercel says an invoice is paid: its case closed
	ActionSuspended = "suspended"
	ActionResumed   = "resumed"
)

// Settle makes one installation match its unpaid invoices as of now:
// suspended paid resources while an invoice is past its grace, resumed
// ones once none is, and the notification naming the oldest unpaid
// invoice (or none). It returns what it did.
func (s *Service) Settle(ctx context.Context, id string, now time.Time) ([]Action, error) {
	s.settling.Lock()
	defer s.settling.Unlock()
	in, err := s.Installations.Get(ctx, id)
	if err != nil || in.Uninstalled() {
		return nil, err // an uninstalled installation has nothing to suspend or tell
	}
	cases, err := s.Store.OpenDunningCases(ctx, id)
	if err != nil {
		return nil, err
	}
	st := &settling{s: s, in: in, now: now}
	open, overdue := st.review(ctx, cases)
	if overdue != nil {
		st.suspend(ctx, *overdue)
	} else {
		st.resume(ctx)
	}
	st.notice(ctx, open, overdue)
	return st.acts, st.err
}

// settling is one Settle's progress: what it did, and its first error
// (the others are logged; the next run tries again).
type settling struct {
	s    *Service
	in   installations.Installation
	now  time.Time
	acts []Action
	err  error
}

func (st *settling) did(a Action) {
	a.InstallationID = st.in.ID
	st.acts = append(st.acts, a)
}

func (st *settling) fail(ctx context.Context, what string, err error, args ...any) {
	st.s.Log.WarnContext(ctx, "dunning: "+what, append([]any{"installation_id", st.in.ID, "err", err}, args...)...)
	if st.err == nil {
		st.err = err
	}
}

// review returns the open cases of invoices we know, and the oldest one
// escalated. A case whose grace ran out is escalated only once Vercel
// confirms the invoice unpaid; one Vercel says is paid closes.
func (st *settling) review(ctx context.Context, cases []installations.DunningCase) (open []installations.DunningCase, overdue *installations.DunningCase) {
	for _, c := range cases {
		if !c.Known {
			continue // a failure of an invoice we never had: kept, not acted on
		}
		if c.EscalatedAt == nil && c.Overdue(st.now, st.s.Grace) {
			if !st.escalate(ctx, &c) {
				continue
			}
		}
		open = append(open, c)
	}
	for i := range open {
		if open[i].EscalatedAt != nil {
			return open, &open[i]
		}
	}
	return open, nil
}

// escalate re-reads the invoice (a failure event may be stale) and marks
// the case escalated if it is still unpaid; false when the case closed.
func (st *settling) escalate(ctx context.Context, c *installations.DunningCase) bool {
	inv, err := st.s.Vercel.For(st.in.ID).GetInvoice(ctx, c.InvoiceID)
	if err != nil {
		st.fail(ctx, "could not re-read an unpaid invoice; its grace is applied on a later run", err, "invoice_id", c.InvoiceID)
		return true
	}
	switch inv.State {
	case "paid", "refund_requested", "refunded":
		err = st.s.Tx(ctx, func(tx installations.Tx) error { return tx.InvoicePaid(ctx, st.in.ID, c.InvoiceID, st.s.Now()) })
		if err != nil {
			st.fail(ctx, "could not close a paid invoice's case", err)
			return true
		}
		st.did(Action{InvoiceID: c.InvoiceID, Action: ActionPaid})
		return false
	case "notpaid", "overdue":
		at := st.now
		if err := st.s.Tx(ctx, func(tx installations.Tx) error { return tx.EscalateDunning(ctx, st.in.ID, c.InvoiceID, at) }); err != nil {
			st.fail(ctx, "could not escalate", err)
			return true
		}
		c.EscalatedAt = &at
		st.did(Action{InvoiceID: c.InvoiceID, Action: ActionEscalated})
	}
	return true
}

// suspend suspends the installation's resources on paid plans, recording
// each as dunning's, in the transaction of the suspension.
func (st *settling) suspend(ctx context.Context, c installations.DunningCase) {
	list, err := st.s.Resources.ListResources(ctx, st.in.ID)
	if err != nil {
		st.fail(ctx, "list resources", err)
		return
	}
	for _, r := range list {
		if r.Status == vercelapi.StatusSuspended || !st.s.paid(r) {
			continue
		}
		rec := installations.DunningSuspension{InstallationID: st.in.ID, ResourceID: r.ID, InvoiceID: c.InvoiceID, SuspendedAt: st.now}
		key := dunningKey("suspend", st.in.ID, r.ID, c.InvoiceID, r.UpdatedAt)
		_, d, err := st.s.Suspender.Suspend(ctx, key, st.in.ID, r.ID, func(ctx context.Context, tx installations.Tx, _ string) error {
			return tx.PutDunningSuspension(ctx, rec)
		})
		if err != nil {
			st.fail(ctx, "could not suspend a resource", err, "resource_id", r.ID)
			continue
		}
		if d.ID != "" {
			st.did(Action{InvoiceID: c.InvoiceID, Action: ActionSuspended, ResourceID: r.ID, DeliveryID: d.ID})
		}
	}
}

// dunningKey names one suspension or resumption dunning makes, as an
// Idempotency-Key names a request: a run that failed, or died, after the
// partner's hook heard of it makes the same call again under the same
// webhook-id, so the hook can deduplicate. A suspension is named by the
// resource as it stood (its last change) and a resumption by the
// suspension it ends, so a later cycle is a new operation.
func dunningKey(what, inst, res, invoice string, at time.Time) string {
	return "dunning " + what + " " + inst + " " + res + " " + invoice + " " + strconv.FormatInt(at.UnixMilli(), 10)
}

// resume resumes what dunning suspended; a resource gone or resumed by
// someone else is only forgotten.
func (st *settling) resume(ctx context.Context) {
	list, err := st.s.Store.DunningSuspensions(ctx, st.in.ID)
	if err != nil {
		st.fail(ctx, "list suspensions", err)
		return
	}
	for _, su := range list {
		forget := func(ctx context.Context, tx installations.Tx, _ string) error {
			return tx.DeleteDunningSuspension(ctx, su.InstallationID, su.ResourceID)
		}
		key := dunningKey("resume", su.InstallationID, su.ResourceID, su.InvoiceID, su.SuspendedAt)
		_, d, err := st.s.Suspender.Resume(ctx, key, su.InstallationID, su.ResourceID, forget)
		switch {
		case apperr.KindOf(err) == apperr.NotFound || (err == nil && d.ID == ""):
			err = st.s.Tx(ctx, func(tx installations.Tx) error { return forget(ctx, tx, "") })
		case err == nil:
			st.did(Action{InvoiceID: su.InvoiceID, Action: ActionResumed, ResourceID: su.ResourceID, DeliveryID: d.ID})
		}
		if err != nil {
			st.fail(ctx, "could not resume a resource", err, "resource_id", su.ResourceID)
		}
	}
}

// notice puts the notification the open cases call for on the
// installation, or clears the one dunning set once none is open (a
// notification the partner set since is left alone).
func (st *settling) notice(ctx context.Context, open []installations.DunningCase, overdue *installations.DunningCase) {
	cur, err := st.s.Store.DunningNotice(ctx, st.in.ID)
	if err != nil {
		st.fail(ctx, "read notice", err)
		return
	}
	remember := func(n json.RawMessage) func(context.Context, installations.Tx, string) error {
		return func(ctx context.Context, tx installations.Tx, _ string) error {
			return tx.SetDunningNotice(ctx, st.in.ID, n)
		}
	}
	switch {
	case len(open) > 0:
		c := open[0]
		if overdue != nil {
			c = *overdue
		}
		n := st.s.notification(c, overdue != nil)
		if bytes.Equal(n.JSON(), cur) {
			return
		}
		_, d, err := st.s.Notifications.SetInstallation(ctx, "", st.in.ID, n, remember(n.JSON()))
		if err != nil {
			st.fail(ctx, "could not set the notification", err)
			return
		}
		st.did(Action{InvoiceID: c.InvoiceID, Action: ActionNotified, Level: n.Level, DeliveryID: d.ID})
	case cur == nil:
	case !sameJSON(st.in.Notification, cur):
		if err := st.s.Tx(ctx, func(tx installations.Tx) error { return remember(nil)(ctx, tx, "") }); err != nil {
			st.fail(ctx, "forget notice", err)
		}
	default:
		_, d, err := st.s.Notifications.ClearInstallation(ctx, "", st.in.ID, remember(nil))
		if err != nil {
			st.fail(ctx, "could not clear the notification", err)
			return
		}
		st.did(Action{Action: ActionCleared, DeliveryID: d.ID})
	}
}

// notification is the installation's notification for case c: a warning
// until its grace runs out, an error once resources are suspended.
func (s *Service) notification(c installations.DunningCase, suspended bool) installations.Notification {
	n := installations.Notification{Level: installations.LevelWarn, Title: "Payment failed",
		Message: "Vercel could not charge invoice " + c.InvoiceID + ". Unless it is paid by " +
			c.FirstFailedAt.Add(s.Grace).UTC().Format("2 January 2006") + ", the resources on paid plans will be suspended."}
	if suspended {
		n.Level, n.Title = installations.LevelError, "Resources suspended: an invoice is unpaid"
		n.Message = "Invoice " + c.InvoiceID + " is still unpaid, so the resources on paid plans are suspended. They resume once it is paid."
	}
	if base := strings.TrimRight(s.PublicURL, "/"); base != "" {
		n.Href = "sso:" + base + "/dashboard/invoices/" + url.PathEscape(c.InvoiceID)
		if n.Check() != nil {
			n.Href = ""
		}
	}
	return n
}

// paid reports whether a resource is on a plan that bills.
func (s *Service) paid(r installations.Resource) bool {
	plan, ok := s.Catalog.Plan(r.BillingPlanID)
	return ok && !plan.Free()
}

// sameJSON compares two encodings of a notification.
func sameJSON(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ax, _ := json.Marshal(x)
	by, _ := json.Marshal(y)
	return bytes.Equal(ax, by)
}
