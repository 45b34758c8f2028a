package partnerapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/handlers"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/transfers"
)

// handleCreateTransfer is the source installation's transfer request
// (Claim Deployments): 200 {"providerClaimId"}.
func (s *Server) handleCreateTransfer(w http.ResponseWriter, r *http.Request) {
	var req transfers.Request
	if err := handlers.ReadJSON(r, &req, false); err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	c, err := s.Transfers.Create(r.Context(), chi.URLParam(r, "installationId"), req)
	if err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	handlers.WriteJSON(w, http.StatusOK, map[string]string{"providerClaimId": c.ID})
}

// verifyView is the Verify answer: the plan the resources will have
// under the target, when they share one.
type verifyView struct {
	Valid       bool                       `json:"valid"`
	BillingPlan *installations.BillingPlan `json:"billingPlan,omitempty"`
}

// handleVerifyTransfer is the target's check of a claim before it
// accepts it.
func (s *Server) handleVerifyTransfer(w http.ResponseWriter, r *http.Request) {
	plan, err := s.Transfers.Verify(r.Context(), chi.URLParam(r, "installationId"), chi.URLParam(r, "claimId"))
	if err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	handlers.WriteJSON(w, http.StatusOK, verifyView{Valid: true, BillingPlan: plan})
}

// acceptRequest is what Vercel may send with an accept; the path names
// the target, so a body naming another one is refused.
type acceptRequest struct {
	TargetInstallationID string `json:"targetInstallationId"`
	TargetTeamID         string `json:"targetTeamId"`
}

// handleAcceptTransfer moves the claim's resources to the target: 204,
// also for a repeat by the same target.
func (s *Server) handleAcceptTransfer(w http.ResponseWriter, r *http.Request) {
	var req acceptRequest
	if err := handlers.ReadJSON(r, &req, true); err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	target := chi.URLParam(r, "installationId")
	if req.TargetInstallationID != "" && req.TargetInstallationID != target {
		handlers.WriteError(w, r, s.Log, apperr.InvalidFields("Input has failed validation",
			apperr.Field{Key: "targetInstallationId", Message: "must be the installation in the path"}))
		return
	}
	if err := s.Transfers.Accept(r.Context(), target, chi.URLParam(r, "claimId")); err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
