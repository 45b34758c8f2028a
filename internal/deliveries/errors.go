package deliveries

import (
	"encoding/json"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/vercelcall"
)

// Attempt outcomes, as counted in partner_vercel_calls_total.
const (
	outcomeDelivered     = "delivered"
	outcomeRetryable     = "retryable"
	outcomeRejected      = "rejected"
	outcomeTokenRejected = "token_rejected"
	outcomeError         = "error"
)

// outcomeOf names an attempt's outcome from its error's class.
func outcomeOf(err error, c vercelcall.Class) string {
	switch {
	case err == nil:
		return outcomeDelivered
	case c.Retryable:
		return outcomeRetryable
	case c.TokenRejected:
		return outcomeTokenRejected
	case c.Status != 0:
		return outcomeRejected
	}
	return outcomeError
}

// Err is the caller's error for a delivery that ended without success, or
// nil when it was delivered or is still pending.
func Err(d Delivery) error {
	switch d.Status {
	case StatusRejected:
		if d.ResultStatus != 0 {
			var v struct {
				Body json.RawMessage `json:"body"`
			}
			json.Unmarshal(d.Result, &v)
			body := []byte(v.Body)
			var s string
			if json.Unmarshal(v.Body, &s) == nil {
				body = []byte(s)
			}
			return vercelcall.Refusal(d.ResultStatus, body)
		}
		return &apperr.Error{Kind: apperr.Conflict, Code: "delivery_failed", Message: d.LastError}
	case StatusDead:
		return &apperr.Error{Kind: apperr.Upstream, Code: "delivery_dead", Message: "Vercel could not be reached before the delivery expired"}
	}
	return nil
}
