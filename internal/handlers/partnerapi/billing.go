package partnerapi

import (
	"context"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/handlers"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/money"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelcall"
)

// balancesView is the Provision Purchase answer.
type balancesView struct {
	Timestamp string                  `json:"timestamp"`
	Balances  []installations.Balance `json:"balances"`
}

// stampLayout is the timestamp format Vercel documents for balances.
const stampLayout = "2006-01-02T15:04:05.000Z"

var errNotPaid = apperr.New(apperr.Conflict, "invoice_not_paid", "the invoice is not paid; nothing was credited")

// handleProvisionPurchase credits a paid credit purchase to the balances
// of the resources it names, once per invoice: a repeat answers the same.
func (s *Server) handleProvisionPurchase(w http.ResponseWriter, r *http.Request) {
	inst := chi.URLParam(r, "installationId")
	var req struct {
		InvoiceID string `json:"invoiceId"`
	}
	if err := handlers.ReadJSON(r, &req, false); err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	if err := installations.CheckID("invoiceId", req.InvoiceID); err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	if _, err := s.liveInstallation(r.Context(), inst); err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	inv, err := s.Vercel.For(inst).GetInvoice(r.Context(), req.InvoiceID)
	if err != nil {
		handlers.WriteError(w, r, s.Log, vercelcall.Error(err))
		return
	}
	credits, err := s.credits(r.Context(), inst, inv)
	if err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	res, err := s.Balances.CreditInvoice(r.Context(), inst, req.InvoiceID, credits)
	if err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	s.Log.InfoContext(r.Context(), "prepaid credit provisioned", "installation_id", inst, "invoice_id", req.InvoiceID)
	handlers.WriteJSON(w, http.StatusOK, balancesView{Timestamp: res.At.UTC().Format(stampLayout), Balances: res.Balances})
}

// credits turns a paid invoice's items into credits in exact cents; an
// item naming a resource we do not have is refused before anything counts.
func (s *Server) credits(ctx context.Context, inst string, inv *vercelapi.Invoice) ([]installations.Credit, error) {
	if inv.State != vercelapi.InvoicePaid {
		return nil, errNotPaid
	}
	out := make([]installations.Credit, 0, len(inv.Items))
	for _, it := range inv.Items {
		d, err := money.Parse(string(it.Total))
		if err != nil {
			return nil, apperr.New(apperr.Unprocessable, "bad_invoice", "an invoice item has a total that is not a decimal")
		}
		cents, err := d.Cents()
		if err != nil {
			return nil, apperr.New(apperr.Unprocessable, "bad_invoice", "an invoice item total is out of range")
		}
		if it.ResourceID != "" {
			if _, err := s.Resources.GetResource(ctx, inst, it.ResourceID); err != nil {
				if apperr.KindOf(err) == apperr.NotFound {
					return nil, apperr.New(apperr.Unprocessable, "unknown_resource", "the invoice credits a resource this installation does not have")
				}
				return nil, err
			}
		}
		out = append(out, installations.Credit{ResourceID: it.ResourceID, Cents: cents})
	}
	return out, nil
}
