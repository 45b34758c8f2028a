package installations

import (
	"context"
	"encoding/json"
	"time"
)

// Delivery states. A pending delivery is still being tried; delivered,
// rejected (Vercel refused it for good) and dead (given up) are final.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryRejected  = "rejected"
	DeliveryDead      = "dead"
)

// Delivery is one write forwarded to Vercel and what became of it.
type Delivery struct {
	ID             string
	Seq            int64 // acceptance order
	InstallationID string
	Operation      string
	Target         string // the resource or invoice the call names, if any
	OrderKey       string // writes sharing it reach Vercel in Seq order
	Status         string
	Attempts       int
	NextAttemptAt  time.Time
	LastError      string
	// Leases counts the attempts started; more than the attempts recorded
	// means an earlier attempt's outcome is unknown (it may have landed).
	Leases int
	// Repeats counts consecutive failures with the same answer.
	Repeats int
	// ResultStatus is Vercel's HTTP status of the final answer (0 if none).
	ResultStatus int
	// Result is Vercel's body: the success body (null when it has none) or
	// the refusal body.
	Result     json.RawMessage
	CreatedAt  time.Time
	UpdatedAt  time.Time
	FinishedAt *time.Time
	// IdemKey is the Idempotency-Key that made the delivery, if any: one
	// delivery per key, so a retried request finds the first delivery.
	IdemKey string
	// Body is the stored request, sealed by a Vault when BodyKeyID is set.
	Body      string
	BodyKeyID string
}

// Final reports whether nothing more will happen to d.
func (d Delivery) Final() bool { return d.Status != DeliveryPending }

// ActionResult says what became of a forwarded write.
type ActionResult struct {
	DeliveryID string
	Status     string // DeliveryDelivered or DeliveryPending
}

// Secret is one environment variable of a resource, sent to Vercel.
type Secret struct {
	Name                 string            `json:"name"`
	Value                string            `json:"value"`
	EnvironmentOverrides map[string]string `json:"environmentOverrides,omitempty"`
}

// Actions are the writes the dashboard and the internal API forward to
// Vercel for an installation. The delivery queue implements them durably;
// errors carry apperr kinds (Invalid, NotFound, Conflict, Upstream).
type Actions interface {
	// RenameResource updates our copy, then sends resource.updated.
	RenameResource(ctx context.Context, installationID, resourceID, name string) (ActionResult, error)
	// ChangePlan gives a resource another plan of its product, then sends
	// resource.updated.
	ChangePlan(ctx context.Context, installationID, resourceID, planID string) (ActionResult, error)
	// UpdateSecrets sends updateResourceSecretsById.
	UpdateSecrets(ctx context.Context, installationID, resourceID string, secrets []Secret, partial bool) (ActionResult, error)
	// RefundInvoice sends updateInvoice with action refund.
	RefundInvoice(ctx context.Context, installationID, invoiceID, reason, total string) (ActionResult, error)
}
