package internalapi

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/handlers"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/resources"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelcall"
)

// deliveryView is a delivery in write answers and GET /deliveries/{id}.
type deliveryView struct {
	ID             string          `json:"id"`
	Status         string          `json:"status"`
	Operation      string          `json:"operation,omitempty"`
	InstallationID string          `json:"installationId,omitempty"`
	Target         string          `json:"target,omitempty"`
	Attempts       *int            `json:"attempts,omitempty"`
	NextAttemptAt  string          `json:"nextAttemptAt,omitempty"`
	LastError      *string         `json:"lastError,omitempty"`
	CreatedAt      string          `json:"createdAt,omitempty"`
	FinishedAt     string          `json:"finishedAt,omitempty"`
	Result         json.RawMessage `json:"result,omitempty"`
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// writeView is the short form of a delivery: id and status, plus
// attempts, next attempt and last error while pending.
func writeView(d deliveries.Delivery) deliveryView {
	v := deliveryView{ID: d.ID, Status: d.Status}
	if d.Status == deliveries.StatusPending {
		v.Attempts, v.LastError = &d.Attempts, &d.LastError
		v.NextAttemptAt = rfc3339(d.NextAttemptAt)
	}
	return v
}

// writeDelivery answers a forwarded write: 200/201 with Vercel's result
// once delivered, 202 while pending, the refusal otherwise.
func (a *API) writeDelivery(w http.ResponseWriter, r *http.Request, d deliveries.Delivery, err error, extra map[string]any) {
	if err == nil {
		err = deliveries.Err(d)
	}
	if err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	body := map[string]any{"delivery": writeView(d)}
	for k, v := range extra {
		body[k] = v
	}
	status := http.StatusAccepted
	if d.Status == deliveries.StatusDelivered {
		status = d.ResultStatus
		body["result"] = d.Result
	}
	handlers.WriteJSON(w, status, body)
}

// decodeStrict reads the body and decodes it as Vercel's schema would.
func decodeStrict(r *http.Request, v any) error {
	data, err := handlers.ReadBody(r)
	if err != nil {
		return err
	}
	if err := handlers.CheckText(data); err != nil {
		return err
	}
	return vercelcall.ValidationFields(vercelapi.DecodeStrict(data, v))
}

// forward decodes the body into a new T as Vercel's schema would, then
// queues the write that write builds from it, with the request's
// Idempotency-Key.
func forward[T any](a *API, w http.ResponseWriter, r *http.Request, write func(installationID string, req *T) deliveries.Write) {
	req := new(T)
	if err := decodeStrict(r, req); err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	wr := write(chi.URLParam(r, "installationId"), req)
	wr.IdemKey = handlers.IdempotencyKey(r)
	d, err := a.Deliveries.Enqueue(r.Context(), wr)
	a.writeDelivery(w, r, d, err, nil)
}

func (a *API) handleCreateEvent(w http.ResponseWriter, r *http.Request) {
	forward(a, w, r, deliveries.CreateEvent)
}

func (a *API) handleUpdateSecrets(w http.ResponseWriter, r *http.Request) {
	forward(a, w, r, func(id string, req *vercelapi.SecretsUpdate) deliveries.Write {
		return deliveries.UpdateSecrets(id, chi.URLParam(r, "resourceId"), req)
	})
}

func (a *API) handleSubmitBilling(w http.ResponseWriter, r *http.Request) {
	forward(a, w, r, deliveries.SubmitBillingData)
}

func (a *API) handleSubmitInvoice(w http.ResponseWriter, r *http.Request) {
	forward(a, w, r, deliveries.SubmitInvoice)
}

func (a *API) handleSubmitBalances(w http.ResponseWriter, r *http.Request) {
	forward(a, w, r, deliveries.SubmitBalances)
}

// handleFinalize tells Vercel that no more invoices will come for an
// uninstalled installation; refused (409) while it is installed.
func (a *API) handleFinalize(w http.ResponseWriter, r *http.Request) {
	if err := handlers.ReadJSON(r, &struct{}{}, true); err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	d, err := a.Lifecycle.Finalize(r.Context(), handlers.IdempotencyKey(r), chi.URLParam(r, "installationId"))
	a.writeDelivery(w, r, d, err, nil)
}

// refundRequest is the internal refund body; it becomes updateInvoice's
// {"action":"refund", reason, total}.
type refundRequest struct {
	Reason string          `json:"reason" vercel:"required"`
	Total  vercelapi.Money `json:"total" vercel:"required"`
}

func (q *refundRequest) Validate() error {
	return (&vercelapi.InvoiceAction{Action: vercelapi.ActionRefund, Reason: q.Reason, Total: q.Total}).Validate()
}

func (a *API) handleRefundInvoice(w http.ResponseWriter, r *http.Request) {
	var req refundRequest
	if err := decodeStrict(r, &req); err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	d, err := a.Lifecycle.Refund(r.Context(), handlers.IdempotencyKey(r), chi.URLParam(r, "installationId"),
		chi.URLParam(r, "invoiceId"), string(req.Total), req.Reason)
	a.writeDelivery(w, r, d, err, nil)
}

// resourcePatch is the PATCH resource body: the fields of our copy a
// service may change. Unknown keys are refused.
type resourcePatch struct {
	Name     *string        `json:"name,omitempty"`
	Status   *string        `json:"status,omitempty"`
	Metadata map[string]any `json:"metadata,omitempty"`
}

func (p *resourcePatch) validate() error {
	var fields []apperr.Field
	if p.Name == nil && p.Status == nil && p.Metadata == nil {
		fields = append(fields, apperr.Field{Key: "body", Message: "name, status or metadata is required"})
	}
	if p.Name != nil {
		name, err := installations.ResourceName(*p.Name)
		if err != nil {
			return err
		}
		p.Name = &name
	}
	if p.Status != nil && !slices.Contains(vercelapi.Statuses, *p.Status) {
		fields = append(fields, apperr.Field{Key: "status", Message: "must be one of " + strings.Join(vercelapi.Statuses, ", ")})
	}
	if len(fields) > 0 {
		return apperr.InvalidFields("invalid resource change", fields...)
	}
	return nil
}

func (a *API) handleUpdateResource(w http.ResponseWriter, r *http.Request) {
	var req resourcePatch
	if err := decodeStrict(r, &req); err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	if err := req.validate(); err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	patch := resources.Patch{Name: req.Name, Status: req.Status}
	if req.Metadata != nil {
		patch.Metadata, _ = json.Marshal(req.Metadata)
	}
	res, d, err := a.Resources.Change(r.Context(), handlers.IdempotencyKey(r), chi.URLParam(r, "installationId"),
		chi.URLParam(r, "resourceId"), patch)
	var extra map[string]any
	if res.ID != "" {
		extra = map[string]any{"resource": res}
	}
	a.writeDelivery(w, r, d, err, extra)
}
