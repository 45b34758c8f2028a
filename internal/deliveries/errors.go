package deliveries

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// Attempt outcomes, as counted in partner_vercel_calls_total.
const (
	outcomeDelivered     = "delivered"
	outcomeRetryable     = "retryable"
	outcomeRejected      = "rejected"
	outcomeTokenRejected = "token_rejected"
	outcomeError         = "error"
)

// outcomeOf classifies an attempt's error.
func outcomeOf(err error) string {
	switch {
	case err == nil:
		return outcomeDelivered
	case vercelapi.IsRetryable(err):
		return outcomeRetryable
	case tokenRejected(err):
		return outcomeTokenRejected
	}
	if _, ok := errors.AsType[*vercelapi.APIError](err); ok {
		return outcomeRejected
	}
	return outcomeError
}

func tokenRejected(err error) bool {
	ae, ok := errors.AsType[*vercelapi.APIError](err)
	return ok && (ae.StatusCode == http.StatusUnauthorized || ae.StatusCode == http.StatusForbidden)
}

// vercelDetail is error.vercel: Vercel's status and body (JSON when it is
// JSON, else a string).
func vercelDetail(status int, body []byte) json.RawMessage {
	raw := json.RawMessage(body)
	if len(body) == 0 || !json.Valid(body) {
		raw, _ = json.Marshal(string(body))
	}
	out, _ := json.Marshal(struct {
		Status int             `json:"status"`
		Body   json.RawMessage `json:"body"`
	}{status, raw})
	return out
}

// refusal is the caller's error for a write Vercel refused with status:
// the same status and code vercel_rejected, or 502
// installation_token_rejected for 401/403.
func refusal(status int, body []byte) *apperr.Error {
	if status == http.StatusUnauthorized || status == http.StatusForbidden {
		return &apperr.Error{Kind: apperr.Upstream, Code: "installation_token_rejected",
			Message: "Vercel rejected the installation's access token (" + strconv.Itoa(status) + ")"}
	}
	kind := apperr.Invalid
	switch status {
	case http.StatusNotFound:
		kind = apperr.NotFound
	case http.StatusConflict:
		kind = apperr.Conflict
	case http.StatusUnprocessableEntity:
		kind = apperr.Unprocessable
	case http.StatusGone:
		kind = apperr.Gone
	}
	return &apperr.Error{Kind: kind, Code: "vercel_rejected",
		Message: "Vercel refused the request (" + strconv.Itoa(status) + ")", Vercel: vercelDetail(status, body)}
}

// Err is the caller's error for a delivery that ended without success, or
// nil when it was delivered or is still pending.
func (d Delivery) Err() error {
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
			return refusal(d.ResultStatus, body)
		}
		return &apperr.Error{Kind: apperr.Conflict, Code: "delivery_failed", Message: d.LastError}
	case StatusDead:
		return &apperr.Error{Kind: apperr.Upstream, Code: "delivery_dead", Message: "Vercel could not be reached before the delivery expired"}
	}
	return nil
}

// ReadError maps a failed read from Vercel (reads are not queued) to the
// caller's error: refusals as for writes, an unreachable or overloaded
// Vercel as 502, 503 or 504.
func ReadError(err error) error {
	if ae, ok := errors.AsType[*vercelapi.APIError](err); ok {
		switch {
		case ae.StatusCode == http.StatusTooManyRequests || ae.StatusCode == http.StatusServiceUnavailable:
			return &apperr.Error{Kind: apperr.Unavailable, Code: "vercel_unavailable", Message: "Vercel is unavailable; try again later", Err: err}
		case ae.StatusCode == http.StatusGatewayTimeout:
			return &apperr.Error{Kind: apperr.Timeout, Code: "vercel_timeout", Message: "Vercel did not answer in time", Err: err}
		case ae.StatusCode >= 500:
			return &apperr.Error{Kind: apperr.Upstream, Code: "vercel_error", Message: "Vercel answered with an error", Err: err}
		}
		e := refusal(ae.StatusCode, ae.Body)
		e.Err = err
		return e
	}
	if ve, ok := errors.AsType[*vercelapi.ValidationError](err); ok {
		fields := make([]apperr.Field, len(ve.Fields))
		for i, f := range ve.Fields {
			fields[i] = apperr.Field{Key: f.Key, Message: f.Message}
		}
		return apperr.InvalidFields("invalid request", fields...)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &apperr.Error{Kind: apperr.Timeout, Code: "vercel_timeout", Message: "Vercel did not answer in time", Err: err}
	}
	if _, ok := errors.AsType[*vercelapi.TransportError](err); ok {
		return &apperr.Error{Kind: apperr.Upstream, Code: "vercel_unreachable", Message: "Vercel could not be reached", Err: err}
	}
	if _, ok := errors.AsType[*apperr.Error](err); ok {
		return err
	}
	return &apperr.Error{Kind: apperr.Upstream, Code: "vercel_error", Message: "unexpected answer from Vercel", Err: err}
}

// ValidationFields turns the client's validation error into a 400 naming
// the bad keys; other errors pass through.
func ValidationFields(err error) error {
	if ve, ok := errors.AsType[*vercelapi.ValidationError](err); ok {
		fields := make([]apperr.Field, len(ve.Fields))
		for i, f := range ve.Fields {
			key := f.Key
			if key == "" {
				key = "body"
			}
			fields[i] = apperr.Field{Key: key, Message: f.Message}
		}
		return apperr.InvalidFields("the body would be refused by Vercel", fields...)
	}
	return err
}
