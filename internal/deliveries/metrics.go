package deliveries

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// backlogCollector reports the delivery backlog from the database at
// scrape time, so every replica reports the shared truth.
type backlogCollector struct {
	store   Store
	pending *prometheus.Desc
	oldest  *prometheus.Desc
}

func newBacklogCollector(s Store) *backlogCollector {
	return &backlogCollector{
		store: s,
		pending: prometheus.NewDesc("partner_deliveries_pending",
			"Writes forwarded to Vercel that are not delivered yet.", nil, nil),
		oldest: prometheus.NewDesc("partner_deliveries_oldest_pending_age_seconds",
			"Age of the oldest pending delivery (0 when none).", nil, nil),
	}
}

func (c *backlogCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.pending
	ch <- c.oldest
}

func (c *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	n, oldest, err := c.store.DeliveryBacklog(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.pending, err)
		return
	}
	age := 0.0
	if n > 0 {
		age = max(time.Since(oldest).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(n))
	ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, age)
}
