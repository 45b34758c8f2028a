// Package metrics holds the server's Prometheus collectors on a private
// registry, served at /metrics.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is the set of collectors every package reports to.
type Metrics struct {
	Registry *prometheus.Registry
	// HTTPRequests counts served requests by route pattern, method and status.
	HTTPRequests *prometheus.CounterVec
	// HTTPDuration observes request durations by route pattern and method.
	HTTPDuration *prometheus.HistogramVec
	// Forwarded counts calls made to Vercel by operation and outcome
	// (delivered, retryable, rejected, token_rejected, error).
	Forwarded *prometheus.CounterVec
}

// New registers the collectors on a fresh registry.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		HTTPRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "partner_http_requests_total", Help: "HTTP requests served, by route pattern.",
		}, []string{"route", "method", "status"}),
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "partner_http_request_duration_seconds", Help: "HTTP request durations, by route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method"}),
		Forwarded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "partner_vercel_calls_total", Help: "Calls forwarded to Vercel, by operation and outcome.",
		}, []string{"operation", "outcome"}),
	}
	m.Registry.MustRegister(m.HTTPRequests, m.HTTPDuration, m.Forwarded,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}

// KeySet reports the Vercel signing-key cache: fetches made and refetches
// refused by the rate limit (a flood of tokens with unknown key ids).
func (m *Metrics) KeySet(fetches, refused func() int64) {
	m.Registry.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "partner_jwks_fetches_total",
			Help: "Fetches of Vercel's signing keys."}, func() float64 { return float64(fetches()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "partner_jwks_refetches_refused_total",
			Help: "Refetches of Vercel's signing keys refused because one was made within the interval."},
			func() float64 { return float64(refused()) }))
}
