package internalapi

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/autopilot"
	"github.com/vercel-partner/partner-server/internal/handlers"
)

// invoicePeriodView is one period's invoice as the autopilot queued it.
type invoicePeriodView struct {
	Period             string          `json:"period"` // YYYY-MM
	Start              string          `json:"start"`
	End                string          `json:"end"`
	ExternalID         string          `json:"externalId"`
	Total              string          `json:"total"`
	Final              bool            `json:"final"`
	QueuedAt           string          `json:"queuedAt"`
	DeliveryID         string          `json:"deliveryId"`
	Status             string          `json:"status"`
	Reason             string          `json:"reason,omitempty"`
	Vercel             json.RawMessage `json:"vercel,omitempty"`
	Requeueable        bool            `json:"requeueable"`
	Requeues           int             `json:"requeues"`
	PreviousDeliveryID string          `json:"previousDeliveryId,omitempty"`
}

func viewInvoicePeriod(p autopilot.InvoicePeriod) invoicePeriodView {
	return invoicePeriodView{Period: p.Start.UTC().Format(periodLayout), Start: rfc3339(p.Start), End: rfc3339(p.End),
		ExternalID: p.ExternalID, Total: p.Total, Final: p.Final, QueuedAt: rfc3339(p.QueuedAt),
		DeliveryID: p.DeliveryID, Status: p.Status, Reason: p.Reason, Vercel: p.Vercel, Requeueable: p.Refused(),
		Requeues: p.Requeues, PreviousDeliveryID: p.PreviousDeliveryID}
}

// periodLayout names a billing period in paths and answers.
const periodLayout = "2006-01"

// handleInvoicePeriods lists the invoices the autopilot queued, newest
// period first, each with its delivery's state; a refused one says why.
func (a *API) handleInvoicePeriods(w http.ResponseWriter, r *http.Request) {
	periods, err := a.Autopilot.InvoicePeriods(r.Context(), chi.URLParam(r, "installationId"))
	if err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	out := make([]invoicePeriodView, len(periods))
	for i, p := range periods {
		out[i] = viewInvoicePeriod(p)
	}
	handlers.WriteJSON(w, http.StatusOK, map[string]any{"periods": out})
}

// handleRequeueInvoice queues a refused (or dead) invoice of a period
// again, once the operator fixed the cause; answered like a forwarded
// write, with the period's invoice as it now stands.
func (a *API) handleRequeueInvoice(w http.ResponseWriter, r *http.Request) {
	start, err := time.Parse(periodLayout, chi.URLParam(r, "period"))
	if err != nil {
		handlers.WriteError(w, r, a.Log, apperr.InvalidFields("invalid period",
			apperr.Field{Key: "period", Message: "must be a month such as 2027-01"}))
		return
	}
	if err := handlers.ReadJSON(r, &struct{}{}, true); err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	p, d, err := a.Autopilot.RequeueInvoice(r.Context(), chi.URLParam(r, "installationId"), start)
	if d.ID == "" && err == nil {
		err = apperr.New(apperr.Internal, "internal", "the invoice was not queued")
	}
	if d.ID == "" {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	a.writeDelivery(w, r, d, err, map[string]any{"period": viewInvoicePeriod(p)})
}
