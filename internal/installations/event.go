package installations

import (
	"context"
	"encoding/json"
	"time"
)

// Types of the events on the feed that internal services follow.
const (
	EventInstallationCreated = "installation.created"
	EventInstallationUpdated = "installation.updated"
	EventInstallationDeleted = "installation.deleted"
	EventResourceRenamed     = "resource.renamed"
	// The *_requested events ask the partner's service to act (feed mode:
	// no provisioning hook); EventResourceDeleted says Vercel deleted one.
	EventResourceProvisionRequested   = "resource.provision_requested"
	EventResourceUpdateRequested      = "resource.update_requested"
	EventResourceDeleted              = "resource.deleted"
	EventResourceSecretsRotationAsked = "resource.secrets_rotation_requested"
	EventResourceSuspendRequested     = "resource.suspend_requested"
	EventResourceResumeRequested      = "resource.resume_requested"
	EventDeliveryDead                 = "delivery.dead"
	// EventCredentialRotated: the installation's access token was
	// replaced (and the old one revoked, or given up).
	EventCredentialRotated = "installation.credential_rotated"
	// EventPrepaidExhausted: a resource whose plan suspends on an empty
	// balance used more than its balance held in a period.
	EventPrepaidExhausted = "resource.prepaid_exhausted"
	// EventInvoiceRequeued: an operator queued a refused invoice again.
	EventInvoiceRequeued = "billing.invoice_requeued"
)

// Event is one entry of the feed. ID is its cursor: ids only grow and
// commit in order, so "everything after cursor N" never skips or repeats.
type Event struct {
	ID             int64           `json:"id"`
	Type           string          `json:"type"`
	InstallationID string          `json:"installationId,omitempty"`
	Subject        string          `json:"subject,omitempty"` // e.g. a resource or delivery id
	Data           json.RawMessage `json:"data"`
	CreatedAt      time.Time       `json:"createdAt"`
}

// NewEvent is an event to append; Data is marshalled to JSON (nil is {}).
type NewEvent struct {
	Type           string
	InstallationID string
	Subject        string
	Data           any
}

// EventStore reads the feed. Events are appended by the stores, in the
// transaction of the change they announce.
type EventStore interface {
	// EventsAfter returns up to limit events with an id above after, oldest first.
	EventsAfter(ctx context.Context, after int64, limit int) ([]Event, error)
}
