package installations

import (
	"context"
	"encoding/json"
	"time"
)

// Resource is our copy of one provisioned resource (our id, not Vercel's).
type Resource struct {
	ID             string          `json:"id"`
	InstallationID string          `json:"installationId"`
	ProductID      string          `json:"productId"`
	Name           string          `json:"name"`
	Metadata       json.RawMessage `json:"metadata"`
	BillingPlanID  string          `json:"billingPlanId,omitempty"`
	Status         string          `json:"status"`
	// Notification is what Vercel shows on the resource (nil: none).
	Notification json.RawMessage `json:"notification,omitempty"`
	// ProtocolSettings is Vercel's protocolSettings, kept as sent.
	ProtocolSettings json.RawMessage `json:"protocolSettings,omitempty"`
	// Ownership is what the partner said of a resource it created itself
	// (owned, linked or sandbox); "" for one Vercel provisioned. A linked
	// resource is billed outside Vercel.
	Ownership string    `json:"ownership,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	// ArrivedAt is when a transfer brought the resource to this
	// installation (nil: it was created here); it is billed here from then.
	ArrivedAt *time.Time `json:"arrivedAt,omitempty"`

	// usageOnly marks a resource billed in a period for its usage only:
	// another installation pays that period's flat fee (BilledIn).
	usageOnly bool
}

// Ownership values of a partner-created resource.
const (
	OwnershipOwned   = "owned"
	OwnershipLinked  = "linked"
	OwnershipSandbox = "sandbox"
)

// Linked reports whether the resource is billed outside Vercel: the
// billing autopilot leaves it out.
func (r Resource) Linked() bool { return r.Ownership == OwnershipLinked }

// billedSince is when the resource started to count here.
func (r Resource) billedSince() time.Time {
	if r.ArrivedAt != nil {
		return *r.ArrivedAt
	}
	return r.CreatedAt
}

// ResourceStore keeps our copy of resources.
type ResourceStore interface {
	PutResource(ctx context.Context, r Resource) (Resource, error)
	GetResource(ctx context.Context, installationID, id string) (Resource, error)
	ListResources(ctx context.Context, installationID string) ([]Resource, error)
}
