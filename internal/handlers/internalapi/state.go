package internalapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/handlers"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// The partner's side of state: notifications, suspension and the
// installation's token.

// readNotification decodes a notification body; unknown keys are refused.
func readNotification(r *http.Request) (installations.Notification, error) {
	var n installations.Notification
	err := decodeStrict(r, &n)
	return n, err
}

// handleSetInstallationNotification shows a notification on the
// installation in Vercel's dashboard.
func (a *API) handleSetInstallationNotification(w http.ResponseWriter, r *http.Request) {
	n, err := readNotification(r)
	if err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	in, d, err := a.Notifications.SetInstallation(r.Context(), handlers.IdempotencyKey(r), chi.URLParam(r, "installationId"), n)
	a.writeDelivery(w, r, d, err, map[string]any{"notification": notificationOf(in.Notification)})
}

func (a *API) handleClearInstallationNotification(w http.ResponseWriter, r *http.Request) {
	_, d, err := a.Notifications.ClearInstallation(r.Context(), handlers.IdempotencyKey(r), chi.URLParam(r, "installationId"))
	a.writeDelivery(w, r, d, err, map[string]any{"notification": nil})
}

func (a *API) handleSetResourceNotification(w http.ResponseWriter, r *http.Request) {
	n, err := readNotification(r)
	if err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	res, d, err := a.Notifications.SetResource(r.Context(), handlers.IdempotencyKey(r), chi.URLParam(r, "installationId"),
		chi.URLParam(r, "resourceId"), n)
	a.writeDelivery(w, r, d, err, map[string]any{"notification": notificationOf(res.Notification)})
}

func (a *API) handleClearResourceNotification(w http.ResponseWriter, r *http.Request) {
	_, d, err := a.Notifications.ClearResource(r.Context(), handlers.IdempotencyKey(r), chi.URLParam(r, "installationId"),
		chi.URLParam(r, "resourceId"))
	a.writeDelivery(w, r, d, err, map[string]any{"notification": nil})
}

// notificationOf is a stored notification as answered (null for none).
func notificationOf(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	return raw
}

func (a *API) handleSuspendResource(w http.ResponseWriter, r *http.Request) {
	a.setStatus(w, r, a.Resources.Suspend)
}

func (a *API) handleResumeResource(w http.ResponseWriter, r *http.Request) {
	a.setStatus(w, r, a.Resources.Resume)
}

// setStatus suspends or resumes; a resource already as asked is answered
// 200 without a delivery.
func (a *API) setStatus(w http.ResponseWriter, r *http.Request, change func(ctx context.Context, key, installationID, resourceID string,
	also ...deliveries.Local) (installations.Resource, deliveries.Delivery, error)) {
	if err := handlers.ReadJSON(r, &struct{}{}, true); err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	res, d, err := change(r.Context(), handlers.IdempotencyKey(r), chi.URLParam(r, "installationId"), chi.URLParam(r, "resourceId"))
	if err == nil && d.ID == "" {
		handlers.WriteJSON(w, http.StatusOK, map[string]any{"resource": res, "delivery": nil})
		return
	}
	var extra map[string]any
	if res.ID != "" {
		extra = map[string]any{"resource": res}
	}
	a.writeDelivery(w, r, d, err, extra)
}

// handleRotateCredentials replaces the installation's Vercel access
// token and revokes the old one; the answer never carries a token.
func (a *API) handleRotateCredentials(w http.ResponseWriter, r *http.Request) {
	if err := handlers.ReadJSON(r, &struct{}{}, true); err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	res, err := a.Credentials.Rotate(r.Context(), chi.URLParam(r, "installationId"))
	if err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	handlers.WriteJSON(w, http.StatusOK, map[string]any{"rotatedAt": rfc3339(res.RotatedAt), "revoked": res.Revoked})
}
