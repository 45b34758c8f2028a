package handlers

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/apperr"
)

// errorBody is the envelope of every error answer.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Fields  []apperr.Field  `json:"fields,omitempty"`
	Vercel  json.RawMessage `json:"vercel,omitempty"`
	User    *userMessage    `json:"user,omitempty"`
}

// userMessage is the part of an error shown to the person in Vercel's UI.
type userMessage struct {
	Message string `json:"message"`
}

// StatusOf maps an error kind to its HTTP status: the one place that does.
func StatusOf(k apperr.Kind) int {
	switch k {
	case apperr.Invalid:
		return http.StatusBadRequest
	case apperr.TooLarge:
		return http.StatusRequestEntityTooLarge
	case apperr.Unauthorized:
		return http.StatusUnauthorized
	case apperr.Forbidden:
		return http.StatusForbidden
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Conflict:
		return http.StatusConflict
	case apperr.Unprocessable:
		return http.StatusUnprocessableEntity
	case apperr.Unavailable:
		return http.StatusServiceUnavailable
	case apperr.Upstream:
		return http.StatusBadGateway
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
		log.ErrorContext(r.Context(), "request failed", "request_id", RequestID(r.Context()), "route", RoutePattern(r), "err", err)
	}
	writeStatus(w, status, e)
}

func writeStatus(w http.ResponseWriter, status int, e *apperr.Error) {
	body := errorBody{Error: errorDetail{Code: e.Code, Message: e.Message, Vercel: e.Vercel}}
	if e.Kind == apperr.Invalid || e.Kind == apperr.Unprocessable {
		body.Error.Fields = e.Fields
	}
	if e.UserMessage != "" {
		body.Error.User = &userMessage{Message: e.UserMessage}
	}
	if e.Kind == apperr.Internal {
		body.Error.Message = "internal error"
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
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

var (
	errNoRoute  = apperr.New(apperr.NotFound, "not_found", "no such route")
	errNoMethod = &apperr.Error{Kind: apperr.Invalid, Code: "method_not_allowed", Message: "method not allowed"}
)

// NotFound answers 404 in the error envelope: the JSON surfaces' unknown routes.
func NotFound(w http.ResponseWriter, r *http.Request) {
	WriteError(w, r, nil, errNoRoute)
}

// MethodNotAllowed answers 405 in the error envelope, with the Allow
// header listing the methods the route does accept.
func MethodNotAllowed(w http.ResponseWriter, r *http.Request) {
	if allowed := AllowedMethods(r); len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
	}
	writeStatus(w, http.StatusMethodNotAllowed, errNoMethod)
}

var routeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
	http.MethodPatch, http.MethodDelete, http.MethodOptions}

// AllowedMethods lists the methods r's path is routed for. chi keeps the
// list it found to itself when a custom 405 handler is set, so each method
// is matched again against the top router, mounted routers included.
func AllowedMethods(r *http.Request) []string {
	rctx := chi.RouteContext(r.Context())
	if rctx == nil || rctx.Routes == nil {
		return nil
	}
	path := r.URL.RawPath
	if path == "" {
		path = r.URL.Path
	}
	return AllowedIn(rctx.Routes, path)
}

// AllowedIn lists the methods routes serves path with: for a router that
// the top router cannot see into (one wrapped in middleware before being
// mounted), matched with the path left to it, chi.RouteContext's RoutePath.
func AllowedIn(routes chi.Routes, path string) []string {
	var allowed []string
	for _, m := range routeMethods {
		if routes.Match(chi.NewRouteContext(), m, path) {
			allowed = append(allowed, m)
		}
	}
	return allowed
}
