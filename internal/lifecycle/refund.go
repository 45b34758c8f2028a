package lifecycle

import (
	"context"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// Refund asks Vercel to refund part or all of an invoice (updateInvoice,
// action refund). Refunds are the partner's decision: the internal API
// and the staff console call this, never a customer's page. total and
// reason are checked by installations.Refund; when we hold the invoice's
// record, a total above the invoice's is refused too. also, when given,
// runs in the transaction that queues the refund; key is the request's
// Idempotency-Key, if any.
func (s *Service) Refund(ctx context.Context, key, installationID, invoiceID, total, reason string,
	also ...deliveries.Local) (deliveries.Delivery, error) {
	limit := ""
	if s.Invoices != nil {
		inv, err := s.Invoices.GetInvoice(ctx, installationID, invoiceID)
		switch {
		case err == nil:
			limit = inv.Total
		case apperr.KindOf(err) != apperr.NotFound:
			return deliveries.Delivery{}, err
		}
	}
	total, reason, err := installations.Refund(total, reason, limit)
	if err != nil {
		return deliveries.Delivery{}, err
	}
	w := deliveries.RefundInvoice(installationID, invoiceID, reason, total)
	w.IdemKey = key
	if len(also) > 0 {
		w.Local = func(ctx context.Context, tx installations.Tx, deliveryID string) error {
			for _, fn := range also {
				if err := fn(ctx, tx, deliveryID); err != nil {
					return err
				}
			}
			return nil
		}
	}
	return s.Queue.Enqueue(ctx, w)
}
