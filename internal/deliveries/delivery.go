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
	"encoding/json"
	"time"

	"github.com/vercel-partner/partner-server/internal/installations"
)

// Delivery states. A pending delivery is still being tried; delivered,
// rejected (Vercel refused it for good) and dead (too old) are final.
const (
	StatusPending   = installations.DeliveryPending
	StatusDelivered = installations.DeliveryDelivered
	StatusDead      = installations.DeliveryDead
	StatusRejected  = "rejected"
)

// Operations: the Vercel call a delivery makes (vercel-api.md section 2).
const (
	OpCreateEvent       = "createEvent"
	OpUpdateSecrets     = "updateResourceSecretsById"
	OpSubmitBillingData = "submitBillingData"
	OpSubmitInvoice     = "submitInvoice"
	OpUpdateInvoice     = "updateInvoice"
)

// Delivery is one forwarded write and what became of it.
type Delivery struct {
	ID             string
	Seq            int64 // acceptance order
	InstallationID string
	Operation      string
	Target         string // the resource or invoice the call names, if any
	OrderKey       string
	Status         string
	Attempts       int
	NextAttemptAt  time.Time
	LastError      string
	// ResultStatus is Vercel's HTTP status of the final answer (0 if none).
	ResultStatus int
	// Result is Vercel's body: the success body (null when it has none) or
	// the refusal body.
	Result     json.RawMessage
	CreatedAt  time.Time
	UpdatedAt  time.Time
	FinishedAt *time.Time

	body  string // stored body, sealed when keyID is set
	keyID string
}

// Final reports whether nothing more will happen to d.
func (d Delivery) Final() bool { return d.Status != StatusPending }

// orderKey groups writes that must reach Vercel in acceptance order: the
// same resource's secrets, the same resource's events, the installation's
// own events, and all of the installation's billing (usage, invoices and
// refunds).
func orderKey(installationID, op, target string) string {
	switch op {
	case OpCreateEvent:
		if target == "" {
			return installationID + "|installation"
		}
		return installationID + "|resource|" + target
	case OpUpdateSecrets:
		return installationID + "|secrets|" + target
	default:
		return installationID + "|billing"
	}
}
