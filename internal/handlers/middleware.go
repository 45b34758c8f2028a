package handlers

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/metrics"
)

type ctxKey int

const requestIDKey ctxKey = 0

var safeRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// RequestID returns the id given to this request.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// knownMethods are the methods metrics name; any other is "other", so a
// request cannot make a new label value.
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

// MethodLabel is the method as a metric label: a known method, else "other".
func MethodLabel(m string) string {
	if knownMethods[m] {
		return m
	}
	return "other"
}

// RoutePattern is the chi route pattern of r ("unmatched" when no route
// matched), so labels and logs come from a fixed set.
func RoutePattern(r *http.Request) string {
	if rc := chi.RouteContext(r.Context()); rc != nil {
		if p := rc.RoutePattern(); p != "" {
			return p
		}
	}
	return "unmatched"
}

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
			rec := NewRecorder(w, false)
			defer func() {
				if p := recover(); p != nil {
					if p == http.ErrAbortHandler {
						panic(p)
					}
					log.ErrorContext(r.Context(), "panic", "request_id", id, "route", RoutePattern(r), "panic", p)
					if rec.Status() == 0 {
						WriteError(rec, r, nil, nil)
					}
				}
				route, method, d := RoutePattern(r), MethodLabel(r.Method), time.Since(start)
				if m != nil {
					m.HTTPRequests.WithLabelValues(route, method, strconv.Itoa(rec.Status())).Inc()
					m.HTTPDuration.WithLabelValues(route, method).Observe(d.Seconds())
				}
				log.LogAttrs(r.Context(), slog.LevelInfo, "request",
					slog.String("request_id", id), slog.String("method", r.Method),
					slog.String("route", route), slog.String("path", r.URL.Path),
					slog.Int("status", rec.Status()), slog.Duration("duration", d))
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

// CheckPathIDs validates every URL parameter of r that names an id (its
// key ends in "Id"), so no malformed id reaches a store or Vercel.
func CheckPathIDs(r *http.Request) error {
	rc := chi.RouteContext(r.Context())
	if rc == nil {
		return nil
	}
	for i, k := range rc.URLParams.Keys {
		if !strings.HasSuffix(k, "Id") {
			continue
		}
		if err := installations.CheckID(k, rc.URLParams.Values[i]); err != nil {
			return err
		}
	}
	return nil
}
