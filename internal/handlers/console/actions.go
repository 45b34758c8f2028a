package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/eventpush"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// act runs an operator's action and records it in the audit log: in the
// action's own transaction when its use case takes a deliveries.Local
// (run passes also on), else right after it succeeded. An action whose
// delivery was recorded and then refused by Vercel stays recorded: it
// was taken, and its delivery says what became of it.
func (c *Console) act(r *http.Request, e installations.AuditEntry, run func(also deliveries.Local) (deliveries.Delivery, error)) (deliveries.Delivery, error) {
	e = c.entry(r, e)
	inTx := false
	also := func(ctx context.Context, tx installations.Tx, deliveryID string) error {
		inTx = true
		withDelivery := e
		withDelivery.DeliveryID = deliveryID
		return tx.AppendAudit(ctx, withDelivery)
	}
	d, err := run(also)
	if err == nil && !inTx {
		e.DeliveryID = d.ID
		if e.InstallationID == "" {
			e.InstallationID = d.InstallationID
		}
		c.appendAudit(r, e)
	}
	return d, err
}

// done redirects to page with a notice of what happened; a write still
// on its way says so.
func done(w http.ResponseWriter, r *http.Request, page, notice string, d deliveries.Delivery) {
	q := url.Values{"notice": {notice}}
	if d.ID != "" {
		q.Set("delivery", d.ID)
		q.Set("status", d.Status)
	}
	sep := "?"
	if strings.Contains(page, "?") {
		sep = "&"
	}
	http.Redirect(w, r, page+sep+q.Encode(), http.StatusSeeOther)
}

// notices are the fixed texts an action's redirect may name.
var notices = map[string]string{
	"refund":       "The refund was sent to Vercel.",
	"requeued":     "The invoice was queued again.",
	"retried":      "The delivery is due now.",
	"cancelled":    "The delivery was cancelled; it will not be sent.",
	"notification": "The notification was sent to Vercel.",
	"cleared":      "The notification was cleared.",
	"suspended":    "The resource was suspended.",
	"resumed":      "The resource was resumed.",
	"rotated":      "The installation's Vercel token was rotated.",
	"rotated-kept": "The installation's Vercel token was rotated; the old one could not be revoked yet and will be.",
}

// noticeFrom is the notice a redirect named, with its delivery's state.
func noticeFrom(r *http.Request) string {
	q := r.URL.Query()
	msg, ok := notices[q.Get("notice")]
	if !ok {
		return ""
	}
	switch q.Get("status") {
	case installations.DeliveryDelivered:
		msg += " Vercel has it."
	case installations.DeliveryPending:
		msg += " Vercel did not answer yet; it will be sent again automatically."
	}
	if id := q.Get("delivery"); validRef.MatchString(id) {
		msg += " (delivery " + id + ")"
	}
	return msg
}

// backTo is the console page a form names in its "back" field, when it
// is one, else fallback.
func backTo(r *http.Request, fallback string) string {
	b := r.PostFormValue("back")
	if r.Method != http.MethodPost || len(b) > 512 || !strings.HasPrefix(b, "/console") || strings.ContainsAny(b, "\\\r\n") ||
		strings.HasPrefix(b, "/console/login") || strings.HasPrefix(b, "/console/callback") {
		return fallback
	}
	if u, err := url.Parse(b); err != nil || u.Host != "" || u.Scheme != "" {
		return fallback
	}
	return b
}

// installationPage is the console page of an installation.
func installationPage(id string) string { return "/console/installations/" + url.PathEscape(id) }

// handleRefund refunds part or all of an invoice: the refund use case the
// internal API calls, with the same rules, and the audit entry in the
// refund's transaction.
//
// POST /console/installations/{installationId}/invoices/{invoiceId}/refund (total, reason)
func (c *Console) handleRefund(w http.ResponseWriter, r *http.Request) {
	in, err := c.installation(r)
	if err != nil {
		c.renderAppError(w, r, err)
		return
	}
	invoiceID := chi.URLParam(r, "invoiceId")
	if !validRef.MatchString(invoiceID) {
		c.renderError(w, r, http.StatusNotFound, "Not found", "There is no such invoice.")
		return
	}
	total, reason := r.PostFormValue("total"), r.PostFormValue("reason")
	d, err := c.act(r, installations.AuditEntry{Action: "invoice.refund", InstallationID: in.ID, Target: "invoice " + invoiceID,
		Detail: refundDetail(total, reason)}, func(also deliveries.Local) (deliveries.Delivery, error) {
		return c.Lifecycle.Refund(r.Context(), "", in.ID, invoiceID, total, reason, also)
	})
	if err != nil {
		c.renderAppError(w, r, err)
		return
	}
	done(w, r, installationPage(in.ID), "refund", d)
}

// refundDetail is the refund's amount and reason for the audit log.
func refundDetail(total, reason string) string {
	return strings.TrimSpace(total) + ": " + strings.TrimSpace(reason)
}

// handleRequeue queues a refused invoice of a period again (the
// autopilot's re-queue, as POST /internal/v1/.../billing/periods/{period}/retry).
//
// POST /console/installations/{installationId}/billing/periods/{period}/retry
func (c *Console) handleRequeue(w http.ResponseWriter, r *http.Request) {
	in, err := c.installation(r)
	if err != nil {
		c.renderAppError(w, r, err)
		return
	}
	period := chi.URLParam(r, "period")
	start, perr := time.Parse(periodLayout, period)
	if perr != nil {
		c.renderError(w, r, http.StatusNotFound, "Not found", "There is no such billing period.")
		return
	}
	d, err := c.act(r, installations.AuditEntry{Action: "invoice.requeue", InstallationID: in.ID, Target: "period " + period},
		func(deliveries.Local) (deliveries.Delivery, error) {
			_, d, err := c.Billing.RequeueInvoice(r.Context(), in.ID, start)
			if d.ID != "" {
				return d, nil // queued; a new refusal shows on the page
			}
			return d, err
		})
	if err != nil {
		c.renderAppError(w, r, err)
		return
	}
	done(w, r, installationPage(in.ID)+"#billing", "requeued", d)
}

// handleRetry makes a pending delivery due now, or brings a dead one
// back; a push of the event feed ("push_" id) likewise, as on the
// internal API.
//
// POST /console/deliveries/{deliveryId}/retry
func (c *Console) handleRetry(w http.ResponseWriter, r *http.Request) {
	call := c.Deliveries.Retry
	if c.Pushes != nil && eventpush.IsID(chi.URLParam(r, "deliveryId")) {
		call = asDelivery(c.Pushes.Retry)
	}
	c.deliveryAction(w, r, "delivery.retry", "retried", call)
}

// handleCancel gives a pending delivery (or push) up.
//
// POST /console/deliveries/{deliveryId}/cancel
func (c *Console) handleCancel(w http.ResponseWriter, r *http.Request) {
	call := c.Deliveries.Cancel
	if c.Pushes != nil && eventpush.IsID(chi.URLParam(r, "deliveryId")) {
		call = asDelivery(c.Pushes.Cancel)
	}
	c.deliveryAction(w, r, "delivery.cancel", "cancelled", call)
}

// asDelivery shows a push's outcome as a delivery's, for the redirect
// and the audit entry.
func asDelivery(op func(ctx context.Context, id string) (installations.Push, error)) func(context.Context, string) (deliveries.Delivery, error) {
	return func(ctx context.Context, id string) (deliveries.Delivery, error) {
		p, err := op(ctx, id)
		return deliveries.Delivery{ID: p.ID, InstallationID: p.InstallationID, Status: p.Status}, err
	}
}

func (c *Console) deliveryAction(w http.ResponseWriter, r *http.Request, action, notice string,
	call func(ctx context.Context, id string) (deliveries.Delivery, error)) {
	id := chi.URLParam(r, "deliveryId")
	if !validRef.MatchString(id) {
		c.renderError(w, r, http.StatusNotFound, "Not found", "There is no such delivery.")
		return
	}
	d, err := c.act(r, installations.AuditEntry{Action: action, Target: "delivery " + id},
		func(deliveries.Local) (deliveries.Delivery, error) { return call(r.Context(), id) })
	if err != nil {
		c.renderAppError(w, r, err)
		return
	}
	done(w, r, backTo(r, "/console/deliveries"), notice, d)
}
