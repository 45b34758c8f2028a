package console

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// pageSize is how many rows a list page shows.
const pageSize = 50

// statuses a delivery filter offers; "" is every status.
var statuses = []string{installations.DeliveryPending, installations.DeliveryDead, installations.DeliveryRejected,
	installations.DeliveryDelivered}

type deliveriesView struct {
	Status, Operation, Installation string
	Statuses, Operations            []string
	Rows                            []deliveries.Delivery
	Back                            string // this page, for the forms' "back"
	Older                           string // the next page's query, "" when none
}

// handleDeliveries lists the queue's deliveries, pending and dead ones
// first by default, filtered by status, operation and installation.
// Unknown filter values select nothing rather than everything.
//
// GET /console/deliveries?status=&op=&installation=&before=
func (c *Console) handleDeliveries(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := deliveriesView{Status: q.Get("status"), Operation: q.Get("op"), Installation: q.Get("installation"),
		Statuses: statuses, Operations: deliveries.Operations(), Back: r.URL.RequestURI()}
	if !q.Has("status") {
		v.Status = installations.DeliveryPending
	}
	f := installations.DeliveryFilter{Status: v.Status, Operation: v.Operation, InstallationID: v.Installation, Limit: pageSize}
	f.Before, _ = strconv.ParseInt(q.Get("before"), 10, 64)
	valid := (v.Status == "" || slices.Contains(statuses, v.Status)) && (v.Operation == "" || slices.Contains(v.Operations, v.Operation)) &&
		(v.Installation == "" || validRef.MatchString(v.Installation)) && f.Before >= 0
	if valid {
		list, err := c.Deliveries.List(r.Context(), f)
		if err != nil {
			c.renderAppError(w, r, err)
			return
		}
		v.Rows = list
	}
	if len(v.Rows) == pageSize {
		older := q
		older.Set("status", v.Status)
		older.Set("before", strconv.FormatInt(v.Rows[len(v.Rows)-1].Seq, 10))
		v.Older = older.Encode()
	}
	c.render(w, r, http.StatusOK, "deliveries", view{Title: "Deliveries", Nav: "deliveries", Notice: noticeFrom(r), Data: v})
}

type webhookRow struct {
	installations.ReceivedWebhook
	Shown     string // the body, cut for the page
	Truncated bool
}

type webhooksView struct {
	Type, Installation string
	Rows               []webhookRow
	Older              string
}

// maxShownBody bounds the part of a webhook body a page shows.
const maxShownBody = 4 << 10

// handleWebhooks lists the webhook events Vercel sent us, newest first.
//
// GET /console/webhooks?type=&installation=&before=&before_id=
func (c *Console) handleWebhooks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := webhooksView{Type: installations.SearchText(q.Get("type")), Installation: q.Get("installation")}
	f := installations.WebhookFilter{Type: v.Type, InstallationID: v.Installation, Limit: pageSize,
		BeforeID: installations.StorableText(q.Get("before_id"))}
	if ms, err := strconv.ParseInt(q.Get("before"), 10, 64); err == nil && ms > 0 && len(f.BeforeID) <= installations.MaxWebhookID {
		f.BeforeAt = time.UnixMilli(ms)
	}
	if v.Installation == "" || validRef.MatchString(v.Installation) {
		list, err := c.Webhooks.RecentWebhooks(r.Context(), f)
		if err != nil {
			c.renderAppError(w, r, err)
			return
		}
		for _, e := range list {
			row := webhookRow{ReceivedWebhook: e, Shown: e.Body}
			if len(row.Shown) > maxShownBody {
				row.Shown, row.Truncated = row.Shown[:maxShownBody], true
			}
			v.Rows = append(v.Rows, row)
		}
	}
	if len(v.Rows) == pageSize {
		last := v.Rows[len(v.Rows)-1]
		older := q
		older.Set("before", strconv.FormatInt(last.ReceivedAt.UnixMilli(), 10))
		older.Set("before_id", last.ID)
		v.Older = older.Encode()
	}
	c.render(w, r, http.StatusOK, "webhooks", view{Title: "Webhooks", Nav: "webhooks", Data: v})
}

type auditPage struct {
	Rows  []installations.AuditEntry
	Older string
}

// handleAudit shows the audit log newest first; GET /internal/v1/audit
// serves the same log to services, oldest first.
//
// GET /console/audit?before=
func (c *Console) handleAudit(w http.ResponseWriter, r *http.Request) {
	before, err := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	if err != nil || before < 0 {
		before = 0
	}
	list, err := c.Audit.AuditBefore(r.Context(), before, pageSize)
	if err != nil {
		c.renderAppError(w, r, err)
		return
	}
	v := auditPage{Rows: list}
	if len(list) == pageSize {
		v.Older = "before=" + strconv.FormatInt(list[len(list)-1].ID, 10)
	}
	c.render(w, r, http.StatusOK, "audit", view{Title: "Audit log", Nav: "audit", Data: v})
}
