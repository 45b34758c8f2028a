package partnerapi

import (
	"encoding/json"
	"math/big"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/handlers"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/provisioning"
	"github.com/vercel-partner/partner-server/internal/resources"
)

// resourceView is Vercel's Resource as we answer it (the shape the hook
// sees, plus a notification); Secrets only on provision.
type resourceView struct {
	provisioning.HookResource
	Notification     json.RawMessage `json:"notification,omitempty"`
	ProtocolSettings json.RawMessage `json:"protocolSettings,omitempty"`
}

// provisionView is the provision answer: the only one that carries secrets.
type provisionView struct {
	resourceView
	Secrets []provisioning.Secret `json:"secrets"`
}

func (s *Server) resourceView(r installations.Resource) resourceView {
	return resourceView{HookResource: provisioning.ResourceOf(r, s.Catalog), Notification: r.Notification, ProtocolSettings: r.ProtocolSettings}
}

// provisionAnswer is the provision's answer, kept with the new resource
// for a retry under the same Idempotency-Key.
func (s *Server) provisionAnswer(out resources.Provisioned) handlers.Answer {
	v := provisionView{resourceView: s.resourceView(out.Resource), Secrets: out.Secrets}
	return handlers.Answer{Status: http.StatusOK, Body: v}
}

func (s *Server) handleProvision(w http.ResponseWriter, r *http.Request) {
	var req resources.Provision
	if err := handlers.ReadJSON(r, &req, false); err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	key := handlers.Keyed(r, s.provisionAnswer)
	out, err := s.Resources.Provision(r.Context(), key, chi.URLParam(r, "installationId"), req)
	if err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	s.provisionAnswer(out).Write(w)
}

func (s *Server) handleGetResource(w http.ResponseWriter, r *http.Request) {
	res, err := s.Resources.Get(r.Context(), chi.URLParam(r, "installationId"), chi.URLParam(r, "resourceId"))
	if err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	handlers.WriteJSON(w, http.StatusOK, s.resourceView(res))
}

// handleUpdateResource takes Vercel's Update Resource body.
func (s *Server) handleUpdateResource(w http.ResponseWriter, r *http.Request) {
	var req resources.Patch
	if err := handlers.ReadJSON(r, &req, false); err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	key := handlers.Keyed(r, s.updateAnswer)
	out, err := s.Resources.Update(r.Context(), key, chi.URLParam(r, "installationId"), chi.URLParam(r, "resourceId"), req)
	if err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	s.updateAnswer(out).Write(w)
}

func (s *Server) updateAnswer(res installations.Resource) handlers.Answer {
	return handlers.Answer{Status: http.StatusOK, Body: s.resourceView(res)}
}

func deleteAnswer(struct{}) handlers.Answer { return handlers.Answer{Status: http.StatusNoContent} }

func (s *Server) handleDeleteResource(w http.ResponseWriter, r *http.Request) {
	key := handlers.Keyed(r, deleteAnswer)
	if err := s.Resources.Delete(r.Context(), key, chi.URLParam(r, "installationId"), chi.URLParam(r, "resourceId")); err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	deleteAnswer(struct{}{}).Write(w)
}

// rotateRequest is Vercel's Rotate Secrets body.
type rotateRequest struct {
	Reason                         string       `json:"reason"`
	DelayOldSecretsExpirationHours *json.Number `json:"delayOldSecretsExpirationHours"`
}

// MaxRotationDelayHours bounds delayOldSecretsExpirationHours (30 days).
const MaxRotationDelayHours = 720

func (req rotateRequest) validate() error {
	h := req.DelayOldSecretsExpirationHours
	if h == nil {
		return nil
	}
	v, ok := new(big.Rat).SetString(h.String())
	if !ok || v.Sign() < 0 || v.Cmp(big.NewRat(MaxRotationDelayHours, 1)) > 0 {
		return apperr.InvalidFields("Input has failed validation", apperr.Field{Key: "delayOldSecretsExpirationHours",
			Message: "must be a number of hours from 0 to 720"})
	}
	return nil
}

// handleRotateSecrets answers at once with new secrets from the hook, or
// puts the request on the feed; the service then sends the secrets with
// the internal API's PUT .../secrets.
func (s *Server) handleRotateSecrets(w http.ResponseWriter, r *http.Request) {
	var req rotateRequest
	if err := handlers.ReadJSON(r, &req, true); err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	if err := req.validate(); err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	key := handlers.Keyed(r, rotateAnswer)
	rot, err := s.Resources.Rotate(r.Context(), key, chi.URLParam(r, "installationId"), chi.URLParam(r, "resourceId"),
		req.Reason, req.DelayOldSecretsExpirationHours)
	if err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	rotateAnswer(rot).Write(w)
}

func rotateAnswer(rot resources.Rotation) handlers.Answer {
	if rot.Sync {
		return handlers.Answer{Status: http.StatusOK, Body: map[string]any{"sync": true, "secrets": rot.Secrets}}
	}
	return handlers.Answer{Status: http.StatusOK, Body: map[string]bool{"sync": false}}
}
