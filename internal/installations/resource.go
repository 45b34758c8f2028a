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
	// ProtocolSettings is Vercel's protocolSettings, kept as sent.
	ProtocolSettings json.RawMessage `json:"protocolSettings,omitempty"`
	CreatedAt        time.Time       `json:"createdAt"`
	UpdatedAt        time.Time       `json:"updatedAt"`
}

// ResourceStore keeps our copy of resources.
type ResourceStore interface {
	PutResource(ctx context.Context, r Resource) (Resource, error)
	GetResource(ctx context.Context, installationID, id string) (Resource, error)
	ListResources(ctx context.Context, installationID string) ([]Resource, error)
}
