package eventpush

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

var (
	pendingDesc = prometheus.NewDesc("partner_event_pushes_pending",
		"Feed events not yet pushed to events.push_url.", nil, nil)
	oldestDesc = prometheus.NewDesc("partner_event_pushes_oldest_pending_age_seconds",
		"Age of the oldest pending push (0 when none).", nil, nil)
)

// backlog reports the push backlog from the database at scrape time, so
// every replica reports the shared truth.
type backlog struct{ store Store }

func (b *backlog) Describe(ch chan<- *prometheus.Desc) {
	ch <- pendingDesc
	ch <- oldestDesc
}

func (b *backlog) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	n, oldest, err := b.store.PushBacklog(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(pendingDesc, err)
		return
	}
	age := 0.0
	if n > 0 {
		age = max(time.Since(oldest).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(pendingDesc, prometheus.GaugeValue, float64(n))
	ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, age)
}
