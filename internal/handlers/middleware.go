package handlers

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/apperr"
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
// The client is ClientAddr: behind trusted proxies, the real client.
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
					slog.String("route", route), slog.String("path", r.URL.Path), slog.String("client", ClientAddr(r)),
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

// maxPathSegment bounds one segment of a request path.
const maxPathSegment = 128

// CheckPath refuses request paths whose segments could be read two ways
// or smuggle something into a store or a call to Vercel: each segment,
// unescaped, must be valid UTF-8 without NUL or slash, not "." or "..",
// and at most 128 bytes. It runs before routing.
func CheckPath(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := checkPath(r.URL.EscapedPath()); err != nil {
				WriteError(w, r, log, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func checkPath(escaped string) error {
	for _, seg := range strings.Split(strings.TrimPrefix(escaped, "/"), "/") {
		raw, err := url.PathUnescape(seg)
		switch {
		case err != nil, !utf8.ValidString(raw), strings.ContainsAny(raw, "/\x00"),
			raw == "." || raw == "..", len(raw) > maxPathSegment:
			return apperr.InvalidFields("the request path is not valid",
				apperr.Field{Key: "path", Message: "each segment must be valid text of at most 128 bytes, without NUL, slash, . or .."})
		}
	}
	return nil
}

// HSTS tells browsers to reach us over https only; set when public_url is
// https.
func HSTS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", "max-age=31536000")
		next.ServeHTTP(w, r)
	})
}
