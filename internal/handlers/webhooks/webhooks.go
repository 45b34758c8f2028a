// Package webhooks receives Vercel's webhooks: it verifies each event's
// signature, stores the event once per id before answering, and applies
// its effect in the same transaction.
package webhooks

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/handlers"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// Deps are what the webhook receiver needs; the app wires them.
type Deps struct {
	Log          *slog.Logger
	ClientSecret string // vercel.client_secret: the signing key; empty refuses every event
	Store        installations.WebhookStore
	Lifecycle    Lifecycle // the uninstall an integration-configuration.removed runs
	MaxBody      int64     // max_body_bytes: larger bodies are 413; default 1 MB
	// Deployments records deployment actions and check runs (optional).
	Deployments interface {
		Effect(ev installations.WebhookEvent) installations.LocalChange
	}
	// Dunning, when set, hears of each new payment event (dunning.Service).
	Dunning Kicker
}

// Lifecycle is the installation use case the receiver runs
// (lifecycle.Service).
type Lifecycle interface {
	// UninstallIn uninstalls an installation in the transaction that
	// stores the event.
	UninstallIn(ctx context.Context, tx installations.Tx, id string) (finalized bool, err error)
}

// Kicker asks for an installation's dunning to be settled now.
type Kicker interface{ Kick(installationID string) }

// Handler serves /webhooks.
type Handler struct {
	Deps
	bodies *bodies
}

// New returns the receiver, to be mounted at /webhooks.
func New(d Deps) http.Handler {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.MaxBody <= 0 {
		d.MaxBody = 1 << 20
	}
	return (&Handler{Deps: d, bodies: newBodies(maxBodies, int(d.MaxBody), bodyWait)}).routes()
}

func (h *Handler) routes() chi.Router {
	r := chi.NewRouter()
	r.Post("/vercel", h.handleVercel)
	r.NotFound(handlers.NotFound)
	r.MethodNotAllowed(handlers.MethodNotAllowed)
	return r
}

var errSignature = apperr.New(apperr.Unauthorized, "invalid_signature", "the x-vercel-signature header is missing or wrong")

// handleVercel stores a signed event and answers 200 once it is durable;
// a redelivery of a stored event is answered 200 and not handled again.
// Bodies are read a fixed number at a time (bodies.go): beyond that a
// post waits briefly, then gets 503 and Vercel delivers it again.
//
// POST /webhooks/vercel
func (h *Handler) handleVercel(w http.ResponseWriter, r *http.Request) {
	body, release, err := h.bodies.read(r)
	if err != nil {
		// Busy is not a fault of ours to log: the request log counts them.
		handlers.WriteError(w, r, nil, err)
		return
	}
	defer release()
	if !h.signed(body, r.Header.Get("x-vercel-signature")) {
		handlers.WriteError(w, r, h.Log, errSignature)
		return
	}
	ev, err := installations.ParseWebhook(body)
	if err != nil {
		handlers.WriteError(w, r, h.Log, err)
		return
	}
	stored, err := h.Store.RecordWebhook(r.Context(), ev, h.effect(ev))
	if err != nil {
		handlers.WriteError(w, r, h.Log, err)
		return
	}
	if stored {
		h.followUp(ev)
	}
	h.Log.InfoContext(r.Context(), "webhook received", "event_id", ev.ID, "type", ev.Type,
		"installation_id", ev.InstallationID, "duplicate", !stored)
	handlers.WriteJSON(w, http.StatusOK, map[string]any{"received": true, "duplicate": !stored})
}

// signed reports whether sig is the hex HMAC-SHA1 of body under the
// client secret, compared in constant time.
func (h *Handler) signed(body []byte, sig string) bool {
	got, err := hex.DecodeString(sig)
	if h.ClientSecret == "" || err != nil || len(got) != sha1.Size {
		return false
	}
	mac := hmac.New(sha1.New, []byte(h.ClientSecret))
	mac.Write(body)
	return hmac.Equal(mac.Sum(nil), got)
}
