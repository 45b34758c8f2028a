package vercelapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// APIError is a non-2xx answer from Vercel. Its Error text carries the
// status, Vercel's error code and message and the request ID, never a token.
type APIError struct {
	Method     string // HTTP method of the failed call
	Path       string // request path, e.g. /v1/installations/icfg_x/events
	StatusCode int
	Code       string        // Vercel's error.code (or OAuth "error"), e.g. "rate_limited"
	Message    string        // Vercel's error.message (or OAuth "error_description")
	RequestID  string        // X-Vercel-Id response header, for support cases
	RetryAfter time.Duration // server hint from retry-after-ms or Retry-After; 0 when absent
	Body       []byte        // raw response body, at most 64 KiB
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("vercelapi: ")
	if e.Method != "" {
		b.WriteString(e.Method + " " + e.Path + ": ")
	}
	b.WriteString(strconv.Itoa(e.StatusCode))
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.RequestID != "" {
		b.WriteString(" (request id " + e.RequestID + ")")
	}
	return b.String()
}

// TransportError is a call that got no HTTP answer: connection refused,
// reset, timed out, or cancelled by the caller's context.
type TransportError struct {
	Method string
	Path   string
	Err    error
}

func (e *TransportError) Error() string {
	return fmt.Sprintf("vercelapi: %s %s: %v", e.Method, e.Path, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// errorBody covers both error shapes: Vercel's {"error":{"code","message"}}
// and OAuth's {"error":"...","error_description":"..."}.
type errorBody struct {
	Error            json.RawMessage `json:"error"`
	ErrorDescription string          `json:"error_description"`
}

// newAPIError reads (at most 64 KiB of) an error response.
func newAPIError(method, path string, resp *http.Response) *APIError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := &APIError{
		Method:     method,
		Path:       path,
		StatusCode: resp.StatusCode,
		RequestID:  resp.Header.Get("X-Vercel-Id"),
		RetryAfter: parseRetryAfter(resp.Header, time.Now()),
		Body:       body,
	}
	e.Code, e.Message = parseErrorBody(body)
	if e.Message == "" && e.Code == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	return e
}

// parseErrorBody extracts code and message from either error shape.
func parseErrorBody(body []byte) (code, message string) {
	var eb errorBody
	if json.Unmarshal(body, &eb) != nil || len(eb.Error) == 0 {
		return "", ""
	}
	var obj struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(eb.Error, &obj) == nil {
		return obj.Code, obj.Message
	}
	var s string
	if json.Unmarshal(eb.Error, &s) == nil {
		return s, eb.ErrorDescription
	}
	return "", ""
}

// parseRetryAfter reads the server's wait hint: retry-after-ms first, then
// Retry-After as integer seconds or an HTTP date. It returns 0 when absent.
func parseRetryAfter(h http.Header, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// IsRetryable reports whether err is worth trying again later: a 429, 500,
// 502, 503 or 504 answer, or a connection or timeout failure. A caller's
// cancellation is not retryable; nor is any other answer from Vercel.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	if ae, ok := errors.AsType[*APIError](err); ok {
		switch ae.StatusCode {
		case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
			http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
		return false
	}
	if _, ok := errors.AsType[*TransportError](err); !ok {
		return false // validation, encoding or decoding problems
	}
	// No answer at all: refused, reset, timed out (including a deadline),
	// unless the caller gave up.
	return !errors.Is(err, context.Canceled)
}

// isDialError reports a failure to connect: the request never left, so even
// a single-use request (the SSO code exchange) may be sent again.
func isDialError(err error) bool {
	if oe, ok := errors.AsType[*net.OpError](err); ok && oe.Op == "dial" {
		return true
	}
	if _, ok := errors.AsType[*net.DNSError](err); ok {
		return true
	}
	return false
}

// IsFinal reports whether err means Vercel (or local validation) refused the
// request for good: sending it again unchanged cannot succeed. Examples: a
// *ValidationError, 400, 401, 403, 404, 409, 410, 422.
func IsFinal(err error) bool {
	if err == nil {
		return false
	}
	if _, ok := errors.AsType[*ValidationError](err); ok {
		return true
	}
	if ae, ok := errors.AsType[*APIError](err); ok {
		return !IsRetryable(ae) && ae.StatusCode != http.StatusRequestTimeout
	}
	return false
}

// RetryAfter returns the server's wait hint carried by err (from
// retry-after-ms or Retry-After), or 0.
func RetryAfter(err error) time.Duration {
	if ae, ok := errors.AsType[*APIError](err); ok {
		return ae.RetryAfter
	}
	return 0
}
