package lifecycle

import (
	"context"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/money"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelcall"
)

var errNotPaid = apperr.New(apperr.Conflict, "invoice_not_paid", "the invoice is not paid; nothing was credited")

// CreditPurchase credits a paid credit purchase (Vercel's invoice) to
// the balances of the resources it names, once per invoice: a repeat
// answers the same.
func (s *Service) CreditPurchase(ctx context.Context, installationID, invoiceID string) (installations.CreditResult, error) {
	if err := installations.CheckID("invoiceId", invoiceID); err != nil {
		return installations.CreditResult{}, err
	}
	if _, err := s.live(ctx, installationID); err != nil {
		return installations.CreditResult{}, err
	}
	inv, err := s.Vercel.For(installationID).GetInvoice(ctx, invoiceID)
	if err != nil {
		return installations.CreditResult{}, vercelcall.Error(err)
	}
	credits, err := s.credits(ctx, installationID, inv)
	if err != nil {
		return installations.CreditResult{}, err
	}
	res, err := s.Balances.CreditInvoice(ctx, installationID, invoiceID, credits)
	if err != nil {
		return res, err
	}
	s.Log.InfoContext(ctx, "prepaid credit provisioned", "installation_id", installationID, "invoice_id", invoiceID)
	return res, nil
}

// credits turns a paid invoice's items into credits in exact cents; an
// item naming a resource we do not have is refused before anything counts.
func (s *Service) credits(ctx context.Context, inst string, inv *vercelapi.Invoice) ([]installations.Credit, error) {
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
