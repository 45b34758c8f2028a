package deliveries

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelcall"
)

// send makes one call to Vercel for d with the stored (already validated)
// body and returns Vercel's success body (nil when it has none).
func send(ctx context.Context, c *vercelapi.Client, token string, d Delivery, body []byte) (json.RawMessage, error) {
	id := d.InstallationID
	switch d.Operation {
	case OpCreateEvent:
		return nil, withBody(body, func(req *vercelapi.EventRequest) error {
			return c.CreateEvent(ctx, token, id, req.Event)
		})
	case OpUpdateSecrets:
		return nil, withBody(body, func(req *vercelapi.SecretsUpdate) error {
			return c.UpdateResourceSecrets(ctx, token, id, d.Target, req)
		})
	case OpSubmitBillingData:
		return nil, withBody(body, func(req *vercelapi.BillingData) error {
			return c.SubmitBillingData(ctx, token, id, req)
		})
	case OpSubmitInvoice:
		var res *vercelapi.SubmitInvoiceResult
		err := withBody(body, func(req *vercelapi.InvoiceRequest) (err error) {
			res, err = c.SubmitInvoice(ctx, token, id, req)
			return err
		})
		if err != nil {
			return nil, err
		}
		return json.Marshal(res)
	case OpUpdateInvoice:
		return nil, withBody(body, func(req *vercelapi.InvoiceAction) error {
			return c.UpdateInvoice(ctx, token, id, d.Target, req)
		})
	case OpSubmitBalances:
		return nil, withBody(body, func(req *vercelapi.PrepaymentBalances) error {
			return c.SubmitPrepaymentBalances(ctx, token, id, req)
		})
	case OpFinalize:
		return nil, c.FinalizeInstallation(ctx, token, id)
	default:
		return nil, fmt.Errorf("unknown operation %q", d.Operation)
	}
}

// withBody decodes a stored body into a new T and calls fn with it.
func withBody[T any](body []byte, fn func(*T) error) error {
	req := new(T)
	if err := json.Unmarshal(body, req); err != nil {
		return fmt.Errorf("stored body: %w", err)
	}
	return fn(req)
}

// validate checks a body for op the way Vercel would, before it is queued.
func validate(op string, body any) error {
	v, ok := body.(interface{ Validate() error })
	if !ok {
		return fmt.Errorf("deliveries: %s body %T cannot be validated", op, body)
	}
	return vercelcall.ValidationFields(v.Validate())
}
