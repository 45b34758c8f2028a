package installations

import "context"

// Delivery states of a write forwarded to Vercel.
const (
	DeliveryDelivered = "delivered"
	DeliveryPending   = "pending"
	DeliveryDead      = "dead"
)

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
	// UpdateSecrets sends updateResourceSecretsById.
	UpdateSecrets(ctx context.Context, installationID, resourceID string, secrets []Secret, partial bool) (ActionResult, error)
	// RefundInvoice sends updateInvoice with action refund.
	RefundInvoice(ctx context.Context, installationID, invoiceID, reason, total string) (ActionResult, error)
}
