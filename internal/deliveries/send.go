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
func send(ctx context.Context, v vercelcall.Installation, d Delivery, body []byte) (json.RawMessage, error) {
	switch d.Operation {
	case OpCreateEvent:
		return nil, withBody(body, func(req *vercelapi.EventRequest) error {
			return v.CreateEvent(ctx, req.Event)
		})
	case OpUpdateSecrets:
		return nil, withBody(body, func(req *vercelapi.SecretsUpdate) error {
			return v.UpdateResourceSecrets(ctx, d.Target, req)
		})
	case OpSubmitBillingData:
		return nil, withBody(body, func(req *vercelapi.BillingData) error {
			return v.SubmitBillingData(ctx, req)
		})
	case OpSubmitInvoice:
		var res *vercelapi.SubmitInvoiceResult
		err := withBody(body, func(req *vercelapi.InvoiceRequest) (err error) {
			res, err = v.SubmitInvoice(ctx, req)
			return err
		})
		if err != nil {
			return nil, err
		}
		return json.Marshal(res)
	case OpUpdateInvoice:
		return nil, withBody(body, func(req *vercelapi.InvoiceAction) error {
			return v.UpdateInvoice(ctx, d.Target, req)
		})
	case OpSubmitBalances:
		return nil, withBody(body, func(req *vercelapi.PrepaymentBalances) error {
			return v.SubmitPrepaymentBalances(ctx, req)
		})
	case OpFinalize:
		return nil, v.FinalizeInstallation(ctx)
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
