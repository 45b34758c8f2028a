package internalapi

import (
	"context"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/handlers"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelcall"
)

// experimentationRoutes are the writes of a resource's flags and
// experiments (behind the Idempotency-Key middleware).
func (a *API) experimentationRoutes(r chi.Router) {
	const base = "/installations/{installationId}/resources/{resourceId}/experimentation"
	r.Post(base+"/items", a.handlePushItems)
	r.Patch(base+"/items/{itemId}", a.handleUpdateItem)
	r.Delete(base+"/items/{itemId}", a.handleDeleteItem)
	r.Put(base+"/global-config", a.handlePutGlobalConfig)
}

func (a *API) handlePushItems(w http.ResponseWriter, r *http.Request) {
	var req vercelapi.ExperimentationItems
	if err := decodeStrict(r, &req); err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	d, err := a.Experimentation.PushItems(r.Context(), handlers.IdempotencyKey(r), chi.URLParam(r, "installationId"),
		chi.URLParam(r, "resourceId"), &req)
	a.writeDelivery(w, r, d, err, nil)
}

func (a *API) handleUpdateItem(w http.ResponseWriter, r *http.Request) {
	var req vercelapi.ExperimentationItemUpdate
	if err := decodeStrict(r, &req); err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	d, err := a.Experimentation.UpdateItem(r.Context(), handlers.IdempotencyKey(r), chi.URLParam(r, "installationId"),
		chi.URLParam(r, "resourceId"), chi.URLParam(r, "itemId"), &req)
	a.writeDelivery(w, r, d, err, nil)
}

func (a *API) handleDeleteItem(w http.ResponseWriter, r *http.Request) {
	if err := handlers.ReadJSON(r, &struct{}{}, true); err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	d, err := a.Experimentation.DeleteItem(r.Context(), handlers.IdempotencyKey(r), chi.URLParam(r, "installationId"),
		chi.URLParam(r, "resourceId"), chi.URLParam(r, "itemId"))
	a.writeDelivery(w, r, d, err, nil)
}

func (a *API) handlePutGlobalConfig(w http.ResponseWriter, r *http.Request) {
	var req vercelapi.GlobalConfigRequest
	if err := decodeStrict(r, &req); err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	d, err := a.Experimentation.PutGlobalConfig(r.Context(), handlers.IdempotencyKey(r), chi.URLParam(r, "installationId"),
		chi.URLParam(r, "resourceId"), &req)
	a.writeDelivery(w, r, d, err, nil)
}

// handleGetGlobalConfig reads the global config through from Vercel.
func (a *API) handleGetGlobalConfig(w http.ResponseWriter, r *http.Request) {
	a.read(w, r, func(ctx context.Context, v vercelcall.Installation) (any, error) {
		return v.GetGlobalConfig(ctx, chi.URLParam(r, "resourceId"))
	})
}
