package deliveries

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// send makes one call to Vercel for d with the stored (already validated)
// body and returns Vercel's success body (nil when it has none).
func (s *Service) send(ctx context.Context, token string, d Delivery, body []byte) (json.RawMessage, error) {
	c := s.client
	switch d.Operation {
	case OpCreateEvent:
		var req vercelapi.EventRequest
		if err := json.Unmarshal(body, &req); err != nil {
			return nil, fmt.Errorf("stored body: %w", err)
		}
		return nil, c.CreateEvent(ctx, token, d.InstallationID, req.Event)
	case OpUpdateSecrets:
		var req vercelapi.SecretsUpdate
		if err := json.Unmarshal(body, &req); err != nil {
			return nil, fmt.Errorf("stored body: %w", err)
		}
		return nil, c.UpdateResourceSecrets(ctx, token, d.InstallationID, d.Target, &req)
	case OpSubmitBillingData:
		var req vercelapi.BillingData
		if err := json.Unmarshal(body, &req); err != nil {
			return nil, fmt.Errorf("stored body: %w", err)
		}
		return nil, c.SubmitBillingData(ctx, token, d.InstallationID, &req)
	case OpSubmitInvoice:
		var req vercelapi.InvoiceRequest
		if err := json.Unmarshal(body, &req); err != nil {
			return nil, fmt.Errorf("stored body: %w", err)
		}
		res, err := c.SubmitInvoice(ctx, token, d.InstallationID, &req)
		if err != nil {
			return nil, err
		}
		return json.Marshal(res)
	case OpUpdateInvoice:
		var req vercelapi.InvoiceAction
		if err := json.Unmarshal(body, &req); err != nil {
			return nil, fmt.Errorf("stored body: %w", err)
		}
		return nil, c.UpdateInvoice(ctx, token, d.InstallationID, d.Target, &req)
	default:
		return nil, fmt.Errorf("unknown operation %q", d.Operation)
	}
}

// validate checks a body for op the way Vercel would, before it is queued.
func validate(op string, body any) error {
	v, ok := body.(interface{ Validate() error })
	if !ok {
		return fmt.Errorf("deliveries: %s body %T cannot be validated", op, body)
	}
	return ValidationFields(v.Validate())
}
