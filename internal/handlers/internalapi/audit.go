package internalapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/handlers"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// audit records every write that was taken (any method but GET and HEAD,
// not an idempotent replay, answered below 400 or refused by Vercel after
// it was queued) in the audit log, before the answer leaves: the token's
// name, the route, the path's installation, the path itself, the delivery
// it made and the request id. Never the body or the token. One middleware
// covers every write, including routes added later, without an actor
// argument on each use case. A write queued for Vercel commits its entry
// in the transaction that records it (the request carries the entry as an
// installations.PendingAudit); any other write's entry commits just after
// it, so a crash between the two loses the entry of a write whose caller
// got no answer.
func (a *API) audit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.Audit == nil || r.Method == http.MethodGet || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		pending := installations.NewPendingAudit(func() installations.AuditEntry { return auditEntry(r) })
		r = r.WithContext(installations.WithPendingAudit(r.Context(), pending))
		held := &heldAnswer{ResponseWriter: w}
		next.ServeHTTP(held, r)
		if !pending.Recorded() && taken(held.status, held.body.Bytes()) && held.Header().Get("Idempotent-Replayed") == "" {
			d := deliveryOf(held.body.Bytes())
			e := pending.Entry()
			e.DeliveryID = d.ID
			if e.InstallationID == "" {
				e.InstallationID = d.InstallationID // a retry or cancel names the delivery only
			}
			if err := a.Audit.AppendAudit(context.WithoutCancel(r.Context()), e); err != nil {
				a.Log.ErrorContext(r.Context(), "audit: could not record a write", "actor", e.Actor, "action", e.Action,
					"target", e.Target, "request_id", e.RequestID, "err", err)
			}
		}
		held.send()
	})
}

// auditEntry is the audit entry of r as far as routing has gone.
func auditEntry(r *http.Request) installations.AuditEntry {
	return installations.AuditEntry{At: time.Now(), Actor: tokenName(r), ActorKind: installations.AuditToken,
		Action: r.Method + " " + handlers.RoutePattern(r), InstallationID: chi.URLParam(r, "installationId"),
		Target: r.URL.Path, RequestID: handlers.RequestID(r.Context())}
}

// queuedCodes are the error codes of a write that was queued and then
// refused by Vercel, or died: it was taken all the same.
var queuedCodes = map[string]bool{"vercel_rejected": true, "installation_token_rejected": true,
	"delivery_failed": true, "delivery_dead": true}

// taken reports whether an answer is that of a write that happened.
func taken(status int, body []byte) bool {
	if status == 0 {
		return false
	}
	if status < 400 {
		return true
	}
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	return json.Unmarshal(body, &e) == nil && queuedCodes[e.Error.Code]
}

// heldAnswer keeps the answer until the audit entry is written.
type heldAnswer struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (h *heldAnswer) WriteHeader(code int) {
	if h.status == 0 {
		h.status = code
	}
}

func (h *heldAnswer) Write(b []byte) (int, error) {
	if h.status == 0 {
		h.status = http.StatusOK
	}
	return h.body.Write(b)
}

func (h *heldAnswer) send() {
	if h.status == 0 {
		return
	}
	h.ResponseWriter.WriteHeader(h.status)
	h.ResponseWriter.Write(h.body.Bytes())
}

// answeredDelivery is the delivery an answer names, if any.
type answeredDelivery struct {
	ID             string `json:"id"`
	InstallationID string `json:"installationId"`
}

// deliveryOf reads the answer's delivery (zero when none).
func deliveryOf(body []byte) answeredDelivery {
	var v struct {
		Delivery answeredDelivery `json:"delivery"`
	}
	json.Unmarshal(body, &v)
	return v.Delivery
}

// auditView is one audit entry; cursor is what to pass as ?after= to get
// the entries that follow it.
type auditView struct {
	Cursor string `json:"cursor"`
	installations.AuditEntry
}

// handleAudit lists the audit log oldest first, after a cursor, as the
// event feed does.
//
// GET /audit?after=CURSOR&limit=N
func (a *API) handleAudit(w http.ResponseWriter, r *http.Request) {
	after, limit, err := pageQuery(r)
	if err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	list, err := a.Audit.AuditAfter(r.Context(), after, limit)
	if err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	out := make([]auditView, len(list))
	next := after
	for i, e := range list {
		out[i] = auditView{Cursor: strconv.FormatInt(e.ID, 10), AuditEntry: e}
		next = e.ID
	}
	handlers.WriteJSON(w, http.StatusOK, map[string]any{"entries": out, "nextCursor": strconv.FormatInt(next, 10)})
}

// pageQuery reads ?after= (a cursor, default 0) and ?limit= (1..1000,
// default 100).
func pageQuery(r *http.Request) (after int64, limit int, err error) {
	q := r.URL.Query()
	limit = 100
	var fields []apperr.Field
	if s := q.Get("after"); s != "" {
		n, perr := strconv.ParseInt(s, 10, 64)
		if perr != nil || n < 0 {
			fields = append(fields, apperr.Field{Key: "after", Message: "must be a cursor returned by this feed"})
		}
		after = n
	}
	if s := q.Get("limit"); s != "" {
		n, perr := strconv.Atoi(s)
		if perr != nil || n < 1 || n > maxEventsPage {
			fields = append(fields, apperr.Field{Key: "limit", Message: "must be an integer from 1 to 1000"})
		}
		limit = n
	}
	if len(fields) > 0 {
		return 0, 0, apperr.InvalidFields("invalid query", fields...)
	}
	return after, limit, nil
}
