package vercelcall

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// Class is what the error of a call to Vercel means, for every caller:
// the kind its own caller hears, whether trying again later may succeed,
// and what Vercel said.
type Class struct {
	Kind apperr.Kind // the kind Error gives the caller
	Code string      // the code Error gives the caller
	// Status is Vercel's HTTP status; 0 when Vercel did not answer.
	Status int
	// Retryable: worth trying again later (Vercel unreachable,
	// overloaded or late, or our database briefly failing).
	Retryable bool
	// Persistent: a retryable 5xx other than 502, 503 and 504, which a
	// later attempt has no reason to change; the same answer repeated
	// means it cannot heal.
	Persistent bool
	// TokenRejected: Vercel refused the installation's token (401, 403).
	TokenRejected bool
	// TokenUnread: the installation's token could not be read (unknown,
	// finalized, or the database failed); Vercel was not called.
	TokenUnread bool
	// RetryAfter is Vercel's wait hint (retry-after-ms or Retry-After).
	RetryAfter time.Duration
	// Detail is error.vercel: Vercel's status and body, when it answered.
	Detail json.RawMessage
}

// Classify says what the error of a call to Vercel means; nil is the
// zero Class.
func Classify(err error) Class {
	if err == nil {
		return Class{}
	}
	e := Error(err)
	c := Class{Kind: apperr.KindOf(e), Code: codeOf(e)}
	if ae, ok := errors.AsType[*vercelapi.APIError](err); ok {
		c.Status, c.RetryAfter, c.Detail = ae.StatusCode, ae.RetryAfter, Detail(ae.StatusCode, ae.Body)
		c.TokenRejected = ae.StatusCode == http.StatusUnauthorized || ae.StatusCode == http.StatusForbidden
		c.Persistent = ae.StatusCode >= 500 && ae.StatusCode != http.StatusBadGateway &&
			ae.StatusCode != http.StatusServiceUnavailable && ae.StatusCode != http.StatusGatewayTimeout
	}
	if te, ok := errors.AsType[*TokenError](err); ok {
		c.TokenUnread = true
		_, known := errors.AsType[*apperr.Error](te.Err)
		c.Retryable = !known // a known answer (unknown, finalized) stays so
		return c
	}
	// The client's retry loop and the delivery queue agree on what is
	// worth another try: vercelapi.IsRetryable, plus a deadline.
	c.Retryable = vercelapi.IsRetryable(err) || errors.Is(err, context.DeadlineExceeded)
	return c
}

func codeOf(err error) string {
	if e, ok := errors.AsType[*apperr.Error](err); ok {
		return e.Code
	}
	return ""
}

// Error translates the error of a call to Vercel into the caller's error:
// Vercel's refusals keep their meaning (code vercel_rejected, Vercel's
// answer under error.vercel), a refused installation token is Upstream,
// an unreachable, overloaded or late Vercel is Unavailable.
func Error(err error) error {
	if err == nil {
		return nil
	}
	if te, ok := errors.AsType[*TokenError](err); ok {
		if e, ok := errors.AsType[*apperr.Error](te.Err); ok {
			return e
		}
		return &apperr.Error{Kind: apperr.Unavailable, Code: "unavailable", Message: "the installation's token could not be read; try again", Err: err}
	}
	if ae, ok := errors.AsType[*vercelapi.APIError](err); ok {
		if ae.StatusCode == http.StatusTooManyRequests || ae.StatusCode >= 500 {
			return &apperr.Error{Kind: apperr.Unavailable, Code: "vercel_unavailable", Message: "Vercel is unavailable; try again later", Err: err}
		}
		e := Refusal(ae.StatusCode, ae.Body)
		e.Err = err
		return e
	}
	if _, ok := errors.AsType[*vercelapi.ValidationError](err); ok {
		return ValidationFields(err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &apperr.Error{Kind: apperr.Unavailable, Code: "vercel_timeout", Message: "Vercel did not answer in time", Err: err}
	}
	if _, ok := errors.AsType[*vercelapi.TransportError](err); ok {
		return &apperr.Error{Kind: apperr.Unavailable, Code: "vercel_unreachable", Message: "Vercel could not be reached", Err: err}
	}
	if _, ok := errors.AsType[*apperr.Error](err); ok {
		return err
	}
	return &apperr.Error{Kind: apperr.Upstream, Code: "vercel_error", Message: "unexpected answer from Vercel", Err: err}
}

// Refusal is the caller's error for an answer in which Vercel refused a
// request with status: 401 and 403 mean Vercel no longer accepts the
// installation's token; the others keep their kind.
func Refusal(status int, body []byte) *apperr.Error {
	if status == http.StatusUnauthorized || status == http.StatusForbidden {
		return &apperr.Error{Kind: apperr.Upstream, Code: "installation_token_rejected",
			Message: "Vercel rejected the installation's access token (" + strconv.Itoa(status) + ")"}
	}
	return &apperr.Error{Kind: kindOfStatus(status), Code: "vercel_rejected",
		Message: "Vercel refused the request (" + strconv.Itoa(status) + ")", Vercel: Detail(status, body)}
}

// kindOfStatus is the kind of a refusal Vercel answered with status.
func kindOfStatus(status int) apperr.Kind {
	switch status {
	case http.StatusNotFound, http.StatusGone:
		return apperr.NotFound
	case http.StatusConflict:
		return apperr.Conflict
	case http.StatusUnprocessableEntity:
		return apperr.Unprocessable
	case http.StatusUnauthorized, http.StatusForbidden:
		return apperr.Upstream
	}
	if status >= 500 || status == http.StatusTooManyRequests {
		return apperr.Unavailable
	}
	return apperr.Invalid
}

// Detail is error.vercel: Vercel's status and body (JSON when it is JSON,
// else a string).
func Detail(status int, body []byte) json.RawMessage {
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

// ValidationFields turns the client's validation error into a 400 naming
// the bad keys; other errors pass through.
func ValidationFields(err error) error {
	ve, ok := errors.AsType[*vercelapi.ValidationError](err)
	if !ok {
		return err
	}
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
