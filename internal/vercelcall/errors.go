package vercelcall

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

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
	return &apperr.Error{Kind: KindOfStatus(status), Code: "vercel_rejected",
		Message: "Vercel refused the request (" + strconv.Itoa(status) + ")", Vercel: Detail(status, body)}
}

// KindOfStatus is the kind of a refusal Vercel answered with status.
func KindOfStatus(status int) apperr.Kind {
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
