package partnerapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/handlers"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// balancesView is the Provision Purchase answer.
type balancesView struct {
	Timestamp string                  `json:"timestamp"`
	Balances  []installations.Balance `json:"balances"`
}

// stampLayout is the timestamp format Vercel documents for balances.
const stampLayout = "2006-01-02T15:04:05.000Z"

// handleProvisionPurchase credits a paid credit purchase to the balances
// of the resources it names, once per invoice: a repeat answers the same.
func (s *Server) handleProvisionPurchase(w http.ResponseWriter, r *http.Request) {
	var req struct {
		InvoiceID string `json:"invoiceId"`
	}
	if err := handlers.ReadJSON(r, &req, false); err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	res, err := s.Installations.CreditPurchase(r.Context(), chi.URLParam(r, "installationId"), req.InvoiceID)
	if err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	handlers.WriteJSON(w, http.StatusOK, balancesView{Timestamp: res.At.UTC().Format(stampLayout), Balances: res.Balances})
}
