package handlers

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/metrics"
)

type ctxKey int

// Context keys of this package, in one block so they stay distinct.
const (
	requestIDKey ctxKey = iota
	claimsKey           // *vercelauth.Claims of a partner-API request
	sessionKey          // *reqSession of a dashboard request
)

var safeRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// RequestID returns the id given to this request.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// RoutePattern is the chi route pattern of r ("" before routing).
func RoutePattern(r *http.Request) string {
	if rc := chi.RouteContext(r.Context()); rc != nil {
		if p := rc.RoutePattern(); p != "" {
			return p
		}
	}
	return "unmatched"
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Observe gives each request an id, recovers panics, and logs and counts it
// by route pattern. It logs the path only: a query may hold an SSO code.
func Observe(log *slog.Logger, m *metrics.Metrics) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			id := r.Header.Get("X-Request-Id")
			if !safeRequestID.MatchString(id) {
				id = rand.Text()[:16]
			}
			w.Header().Set("X-Request-Id", id)
			r = r.WithContext(context.WithValue(r.Context(), requestIDKey, id))
			rec := &statusRecorder{ResponseWriter: w}
			defer func() {
				if p := recover(); p != nil {
					if p == http.ErrAbortHandler {
						panic(p)
					}
					log.ErrorContext(r.Context(), "panic", "request_id", id, "route", RoutePattern(r), "panic", p)
					if rec.status == 0 {
						WriteJSON(rec, http.StatusInternalServerError, errorBody{Error: errorDetail{Code: "internal_error", Message: "internal error"}})
					}
				}
				route, d := RoutePattern(r), time.Since(start)
				if m != nil {
					m.HTTPRequests.WithLabelValues(route, r.Method, strconv.Itoa(rec.status)).Inc()
					m.HTTPDuration.WithLabelValues(route, r.Method).Observe(d.Seconds())
				}
				log.LogAttrs(r.Context(), slog.LevelInfo, "request",
					slog.String("request_id", id), slog.String("method", r.Method),
					slog.String("route", route), slog.String("path", r.URL.Path),
					slog.Int("status", rec.status), slog.Duration("duration", d))
			}()
			next.ServeHTTP(rec, r)
		})
	}
}

// LimitBody caps every request body at n bytes.
func LimitBody(n int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Body != nil {
				r.Body = http.MaxBytesReader(w, r.Body, n)
			}
			next.ServeHTTP(w, r)
		})
	}
}
