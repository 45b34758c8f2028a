package dashboard

import (
	"net/http"
	"net/url"

	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/handlers"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// notices are the fixed messages a redirect after an action can ask for;
// the query names one, it never carries text.
var notices = map[string]string{
	"renamed":            "The resource was renamed.",
	"rotated":            "New secret values were issued.",
	"plan":               "The plan was changed.",
	"rotation_requested": "The rotation was requested; your service will issue the new values.",
}

// noticeFrom builds the page's notice from ?notice=..&delivery=..
func noticeFrom(r *http.Request) string {
	q := r.URL.Query()
	msg, ok := notices[q.Get("notice")]
	if !ok {
		return ""
	}
	switch q.Get("delivery") {
	case installations.DeliveryDelivered:
		msg += " Vercel has it."
	case installations.DeliveryPending:
		msg += " Vercel did not answer yet; it will be sent again automatically."
	}
	return msg
}

// afterAction redirects to page with a notice of what happened.
func (b *Browser) afterAction(w http.ResponseWriter, r *http.Request, page, notice string, d deliveries.Delivery, target ...any) {
	b.logAction(r, notice, d, target...)
	q := url.Values{"notice": {notice}}
	if d.Status == installations.DeliveryDelivered || d.Status == installations.DeliveryPending {
		q.Set("delivery", d.Status)
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
