// Package deliveries is the durable queue of writes the partner's services
// (and the dashboard) forward to Vercel. Every write is recorded in the
// database, in the same transaction as any local change it belongs to,
// before it is first attempted; a background worker retries it with
// exponential backoff, jitter and Vercel's Retry-After until it is
// delivered, refused for good, or dead of old age.
//
// Writes that touch the same thing at Vercel share an ordering key and are
// delivered in the order they were accepted; others do not wait for each
// other.
package deliveries

import (
	"context"
	"time"

	"github.com/vercel-partner/partner-server/internal/installations"
)

// Delivery is one forwarded write; its states are installations.Delivery*.
type Delivery = installations.Delivery

// Delivery states, as the queue names them.
const (
	StatusPending   = installations.DeliveryPending
	StatusDelivered = installations.DeliveryDelivered
	StatusRejected  = installations.DeliveryRejected
	StatusDead      = installations.DeliveryDead
	// StatusSuperseded: a newer write of the same thing was recorded
	// before this one was sent; it never will be.
	StatusSuperseded = installations.DeliverySuperseded
)

// Store is what the queue needs of the database.
type Store interface {
	InsertDelivery(ctx context.Context, d Delivery, owner string, leaseUntil time.Time, local installations.LocalChange) (Delivery, bool, error)
	GetDelivery(ctx context.Context, id string) (Delivery, error)
	ClaimDeliveries(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]Delivery, error)
	// FinishDelivery records an attempt; a final d whose Body the queue
	// emptied (a sealed write: it held secret values) keeps no body.
	FinishDelivery(ctx context.Context, d Delivery, owner string, local installations.LocalChange) (bool, error)
	ReleaseDelivery(ctx context.Context, id, owner string) error
	DeliveryBacklog(ctx context.Context) (int, time.Time, error)
	RetryDelivery(ctx context.Context, id string, now time.Time) (Delivery, error)
	CancelDelivery(ctx context.Context, id, reason string, now time.Time) (Delivery, error)
	ListDeliveries(ctx context.Context, f installations.DeliveryFilter) ([]Delivery, error)
}
