package internalapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/handlers"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelcall"
)

func (a *API) handleListInstallations(w http.ResponseWriter, r *http.Request) {
	list, err := a.Installations.List(r.Context())
	if err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	handlers.WriteJSON(w, http.StatusOK, map[string]any{"installations": list})
}

func (a *API) handleGetInstallation(w http.ResponseWriter, r *http.Request) {
	in, err := a.Installations.Get(r.Context(), chi.URLParam(r, "installationId"))
	if err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	handlers.WriteJSON(w, http.StatusOK, in)
}

// handleListInvoices answers our invoice records of an installation,
// kept from our submissions and Vercel's invoice webhooks, newest first.
func (a *API) handleListInvoices(w http.ResponseWriter, r *http.Request) {
	in, err := a.Installations.Get(r.Context(), chi.URLParam(r, "installationId"))
	if err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	list, err := a.Invoices.ListInvoices(r.Context(), in.ID)
	if err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	handlers.WriteJSON(w, http.StatusOK, map[string]any{"invoices": list})
}

// read calls Vercel for the path's installation (reads are not queued;
// the client retries 429/5xx itself) and answers with Vercel's body.
func (a *API) read(w http.ResponseWriter, r *http.Request, call func(ctx context.Context, v vercelcall.Installation) (any, error)) {
	out, err := call(r.Context(), a.Vercel.For(chi.URLParam(r, "installationId")))
	if err != nil {
		handlers.WriteError(w, r, a.Log, vercelcall.Error(err))
		return
	}
	handlers.WriteJSON(w, http.StatusOK, out)
}

func (a *API) handleGetAccount(w http.ResponseWriter, r *http.Request) {
	a.read(w, r, func(ctx context.Context, v vercelcall.Installation) (any, error) {
		return v.GetAccountInfo(ctx)
	})
}

func (a *API) handleGetMember(w http.ResponseWriter, r *http.Request) {
	a.read(w, r, func(ctx context.Context, v vercelcall.Installation) (any, error) {
		return v.GetMember(ctx, chi.URLParam(r, "memberId"))
	})
}

func (a *API) handleGetInvoice(w http.ResponseWriter, r *http.Request) {
	a.read(w, r, func(ctx context.Context, v vercelcall.Installation) (any, error) {
		return v.GetInvoice(ctx, chi.URLParam(r, "invoiceId"))
	})
}

func (a *API) handleGetDelivery(w http.ResponseWriter, r *http.Request) {
	d, err := a.operate(chi.URLParam(r, "deliveryId")).Get(r.Context(), chi.URLParam(r, "deliveryId"))
	a.writeDeliveryState(w, r, d, err)
}

// handleRetryDelivery makes a pending delivery due now (an operator's
// "retry now"); 409 when it is final or an attempt holds it. A push of
// the event feed may be retried when dead, too.
func (a *API) handleRetryDelivery(w http.ResponseWriter, r *http.Request) {
	d, err := a.operate(chi.URLParam(r, "deliveryId")).Retry(r.Context(), chi.URLParam(r, "deliveryId"))
	a.writeDeliveryState(w, r, d, err)
}

// handleCancelDelivery gives a pending delivery up: it becomes dead and
// stops holding its ordering key.
func (a *API) handleCancelDelivery(w http.ResponseWriter, r *http.Request) {
	d, err := a.operate(chi.URLParam(r, "deliveryId")).Cancel(r.Context(), chi.URLParam(r, "deliveryId"))
	if err == nil {
		a.Log.InfoContext(r.Context(), "delivery cancelled by an operator", "delivery_id", d.ID, "request_id", handlers.RequestID(r.Context()))
	}
	a.writeDeliveryState(w, r, d, err)
}

func (a *API) writeDeliveryState(w http.ResponseWriter, r *http.Request, d deliveries.Delivery, err error) {
	if err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	v := deliveryView{ID: d.ID, Status: d.Status, Operation: d.Operation, InstallationID: d.InstallationID,
		Target: d.Target, Attempts: &d.Attempts, LastError: &d.LastError, CreatedAt: rfc3339(d.CreatedAt), Result: d.Result}
	if d.Status == deliveries.StatusPending {
		v.NextAttemptAt = rfc3339(d.NextAttemptAt)
	}
	if d.FinishedAt != nil {
		v.FinishedAt = rfc3339(*d.FinishedAt)
	}
	handlers.WriteJSON(w, http.StatusOK, map[string]any{"delivery": v})
}

// eventView is one feed entry; cursor is what to pass as ?after= to get
// the entries that follow it.
type eventView struct {
	Cursor string `json:"cursor"`
	installations.Event
}

const maxEventsPage = 1000

func (a *API) handleEvents(w http.ResponseWriter, r *http.Request) {
	after, limit, err := pageQuery(r)
	if err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	evs, err := a.Events.EventsAfter(r.Context(), after, limit)
	if err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	out := make([]eventView, len(evs))
	next := after
	for i, e := range evs {
		out[i] = eventView{Cursor: strconv.FormatInt(e.ID, 10), Event: e}
		next = e.ID
	}
	handlers.WriteJSON(w, http.StatusOK, map[string]any{"events": out, "nextCursor": strconv.FormatInt(next, 10)})
}

// handleListResources answers our copy of the installation's resources;
// secret values are never kept, so never shown.
func (a *API) handleListResources(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "installationId")
	if _, err := a.Installations.Get(r.Context(), id); err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	list, err := a.Resources.List(r.Context(), id)
	if err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	if list == nil {
		list = []installations.Resource{}
	}
	handlers.WriteJSON(w, http.StatusOK, map[string]any{"resources": list})
}

func (a *API) handleGetResource(w http.ResponseWriter, r *http.Request) {
	res, err := a.Resources.Get(r.Context(), chi.URLParam(r, "installationId"), chi.URLParam(r, "resourceId"))
	if err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	handlers.WriteJSON(w, http.StatusOK, map[string]any{"resource": res})
}
