package installations

import (
	"context"
	"time"
)

// DeliveryFilter selects deliveries for people looking at the queue; an
// empty field selects all. Before pages back: only deliveries numbered
// below it (0: from the newest).
type DeliveryFilter struct {
	Status         string
	Operation      string
	InstallationID string
	Before         int64
	Limit          int
}

// ReceivedWebhook is a stored webhook event as the console lists it.
type ReceivedWebhook struct {
	ID             string
	Type           string
	InstallationID string
	SentAt         time.Time
	ReceivedAt     time.Time
	Body           string
}

// WebhookFilter selects received webhooks, newest first; an empty field
// selects all. Before pages back from a (ReceivedAt, ID) of a listed one.
type WebhookFilter struct {
	Type           string
	InstallationID string
	BeforeAt       time.Time
	BeforeID       string
	Limit          int
}

// WebhookLog lists the webhook events we received.
type WebhookLog interface {
	RecentWebhooks(ctx context.Context, f WebhookFilter) ([]ReceivedWebhook, error)
}
