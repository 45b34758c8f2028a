package partnerapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/handlers"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// plansView is the body of every plans answer.
type plansView struct {
	Plans []installations.BillingPlan `json:"plans"`
}

// metadataQuery checks the plans routes' ?metadata=: a JSON object or
// nothing. The catalog's plans do not depend on it yet.
func metadataQuery(r *http.Request) error {
	if _, err := installations.ParseMetadataQuery(r.URL.Query().Get("metadata")); err != nil {
		return apperr.InvalidFields("metadata must be a JSON object", apperr.Field{Key: "metadata", Message: err.Error()})
	}
	return nil
}

// handleProductPlans may be called before any installation exists: the
// token's installation (possibly none) only decides which private plans show.
func (s *Server) handleProductPlans(w http.ResponseWriter, r *http.Request) {
	if err := metadataQuery(r); err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	productID := chi.URLParam(r, "productId")
	plans, ok := s.Catalog.PlansFor(productID, VercelClaims(r.Context()).InstallationID)
	if !ok {
		handlers.WriteError(w, r, s.Log, apperr.NotFoundf("product %s not found", productID))
		return
	}
	handlers.WriteJSON(w, http.StatusOK, plansView{Plans: plans})
}

func (s *Server) handleInstallationPlans(w http.ResponseWriter, r *http.Request) {
	plans := s.Catalog.InstallationPlans(chi.URLParam(r, "installationId"))
	handlers.WriteJSON(w, http.StatusOK, plansView{Plans: plans})
}

func (s *Server) handleResourcePlans(w http.ResponseWriter, r *http.Request) {
	if err := metadataQuery(r); err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	inst := chi.URLParam(r, "installationId")
	res, err := s.Resources.Get(r.Context(), inst, chi.URLParam(r, "resourceId"))
	if err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	plans, _ := s.Catalog.PlansFor(res.ProductID, inst)
	if plans == nil {
		plans = []installations.BillingPlan{}
	}
	handlers.WriteJSON(w, http.StatusOK, plansView{Plans: plans})
}
