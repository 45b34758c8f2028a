package dashboard

import (
	"net/http"
	"net/url"

	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/handlers"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// notices are the fixed messages a redirect after an action can ask for;
// the query names one, it never carries text. done is said once Vercel
// has the change; pending while its delivery waits to be retried.
var notices = map[string]struct{ done, pending string }{
	"renamed":            {"The resource was renamed, and Vercel has the new name.", "The resource was renamed here; the new name will reach Vercel shortly."},
	"rotated":            {"New secret values were issued and sent to Vercel.", "New secret values were issued; they will reach Vercel shortly."},
	"plan":               {"The plan was changed, and Vercel has the change.", "The plan was changed here; the change will reach Vercel shortly."},
	"rotation_requested": {"", "The rotation was requested: your service will issue the new values and send them to Vercel."},
}

// Notice kinds: what the page's box says by its colour.
const (
	noticeDone    = "done"    // green: Vercel has it
	noticePending = "pending" // amber: on its way
)

// noticeFrom builds the page's notice from ?notice=..&delivery=..&delivery_id=..
func noticeFrom(r *http.Request) string {
	msg, _ := notice(r.URL.Query())
	return msg
}

// notice is the message and its kind; a write Vercel has not confirmed
// yet is never shown as done.
func notice(q url.Values) (msg, kind string) {
	n, ok := notices[q.Get("notice")]
	if !ok {
		return "", ""
	}
	if q.Get("delivery") == installations.DeliveryDelivered && n.done != "" {
		return n.done, noticeDone
	}
	msg = n.pending
	if q.Get("delivery") == installations.DeliveryPending {
		msg += " Vercel did not answer yet; it is retried automatically"
		if id := q.Get("delivery_id"); validRef.MatchString(id) {
			msg += " (delivery " + id + ")"
		}
		msg += "."
	}
	return msg, noticePending
}

// afterAction redirects to page with a notice of what happened.
func (b *Browser) afterAction(w http.ResponseWriter, r *http.Request, page, notice string, d deliveries.Delivery, target ...any) {
	b.logAction(r, notice, d, target...)
	q := url.Values{"notice": {notice}}
	if d.Status == installations.DeliveryDelivered || d.Status == installations.DeliveryPending {
		q.Set("delivery", d.Status)
	}
	if d.Status == installations.DeliveryPending && d.ID != "" {
		q.Set("delivery_id", d.ID)
	}
	http.Redirect(w, r, page+"?"+q.Encode(), http.StatusSeeOther)
}

// logAction records who did an admin action, for the audit trail.
func (b *Browser) logAction(r *http.Request, action string, d deliveries.Delivery, target ...any) {
	s, _ := sessionFrom(r.Context())
	attrs := []any{"action", action, "request_id", handlers.RequestID(r.Context()),
		"installation_id", s.InstallationID, "user_id", s.UserID, "role", s.Role,
		"delivery_id", d.ID, "delivery_status", d.Status}
	b.Log.InfoContext(r.Context(), "dashboard: admin action", append(attrs, target...)...)
}

type overviewView struct {
	Installation installations.Installation
	Plan         string
	AccountURL   string
	Resources    []resourceRow
}

// handleOverview is the installation's home page.
//
// GET /dashboard
func (b *Browser) handleOverview(w http.ResponseWriter, r *http.Request) {
	s, _ := sessionFrom(r.Context())
	res, err := b.Resources.ListResources(r.Context(), s.InstallationID)
	if err != nil {
		b.renderAppError(w, r, err)
		return
	}
	v := overviewView{Installation: s.Installation, Resources: b.rows(res), Plan: s.Installation.BillingPlanID}
	if p, ok := b.Catalog.Plan(s.Installation.BillingPlanID); ok {
		v.Plan = p.Name
	}
	if u, err := url.Parse(s.Installation.Account.URL); err == nil && u.Scheme == "https" {
		v.AccountURL = u.String()
	}
	b.render(w, r, http.StatusOK, "overview", view{Title: "Overview", Nav: "overview", Notice: noticeFrom(r), Data: v})
}

// handleSupport says how to get help.
//
// GET /dashboard/support
func (b *Browser) handleSupport(w http.ResponseWriter, r *http.Request) {
	b.render(w, r, http.StatusOK, "support", view{Title: "Support", Nav: "support"})
}
