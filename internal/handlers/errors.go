package handlers

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/vercel-partner/partner-server/internal/apperr"
)

// errorBody is the envelope of every error answer (contract section 3).
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Fields  []apperr.Field  `json:"fields,omitempty"`
	Vercel  json.RawMessage `json:"vercel,omitempty"`
}

// StatusOf maps an error kind to its HTTP status: the one place that does.
func StatusOf(k apperr.Kind) int {
	switch k {
	case apperr.Invalid:
		return http.StatusBadRequest
	case apperr.Unauthorized:
		return http.StatusUnauthorized
	case apperr.Forbidden:
		return http.StatusForbidden
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Conflict:
		return http.StatusConflict
	case apperr.TooLarge:
		return http.StatusRequestEntityTooLarge
	case apperr.Upstream:
		return http.StatusBadGateway
	case apperr.Unavailable:
		return http.StatusServiceUnavailable
	case apperr.Unprocessable:
		return http.StatusUnprocessableEntity
	case apperr.Gone:
		return http.StatusGone
	case apperr.Timeout:
		return http.StatusGatewayTimeout
	default:
		return http.StatusInternalServerError
	}
}

// WriteError answers with the error envelope. Internal errors are logged
// once with their cause; the caller sees a short message only.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	e, ok := errors.AsType[*apperr.Error](err)
	if !ok {
		e = &apperr.Error{Kind: apperr.Internal, Code: "internal_error", Message: "internal error", Err: err}
	}
	status := StatusOf(e.Kind)
	if status >= 500 && log != nil {
		log.ErrorContext(r.Context(), "request failed", "route", RoutePattern(r), "err", err)
	}
	body := errorBody{Error: errorDetail{Code: e.Code, Message: e.Message, Vercel: e.Vercel}}
	if e.Kind == apperr.Invalid {
		body.Error.Fields = e.Fields
	}
	if e.Kind == apperr.Internal {
		body.Error.Message = "internal error"
	}
	WriteJSON(w, status, body)
}

// WriteJSON answers with v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"error":{"code":"internal_error","message":"internal error"}}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(data, '\n'))
}
