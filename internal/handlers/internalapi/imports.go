package internalapi

import (
	"encoding/json"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/handlers"
	"github.com/vercel-partner/partner-server/internal/resources"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// importRequest is the PUT resource body: a resource the partner created
// on its side. Unknown keys are refused.
type importRequest struct {
	ProductID     string             `json:"productId" vercel:"required"`
	Name          string             `json:"name" vercel:"required"`
	BillingPlanID *string            `json:"billingPlanId,omitempty"`
	Metadata      map[string]any     `json:"metadata,omitempty"`
	Status        *string            `json:"status,omitempty"`
	Ownership     *string            `json:"ownership,omitempty"`
	Secrets       []vercelapi.Secret `json:"secrets,omitempty"`
}

// handleImportResource creates or updates our copy of a partner-created
// resource and delivers importResource.
func (a *API) handleImportResource(w http.ResponseWriter, r *http.Request) {
	var req importRequest
	if err := decodeStrict(r, &req); err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	in := resources.Import{ProductID: req.ProductID, Name: req.Name, BillingPlanID: req.BillingPlanID,
		Status: req.Status, Ownership: req.Ownership, Secrets: req.Secrets}
	if req.Metadata != nil {
		in.Metadata, _ = json.Marshal(req.Metadata)
	}
	res, d, err := a.Resources.Import(r.Context(), handlers.IdempotencyKey(r), chi.URLParam(r, "installationId"),
		chi.URLParam(r, "resourceId"), in)
	var extra map[string]any
	if res.ID != "" {
		extra = map[string]any{"resource": res}
	}
	a.writeDelivery(w, r, d, err, extra)
}

// handleRemoveResource delivers deleteIntegrationResource; our copy goes
// once Vercel accepted it.
func (a *API) handleRemoveResource(w http.ResponseWriter, r *http.Request) {
	d, err := a.Resources.Remove(r.Context(), handlers.IdempotencyKey(r), chi.URLParam(r, "installationId"),
		chi.URLParam(r, "resourceId"))
	a.writeDelivery(w, r, d, err, nil)
}
