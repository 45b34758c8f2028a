package installations

import (
	"context"
	"encoding/json"
	"time"
)

// Resource is our copy of one provisioned resource (our id, not Vercel's).
type Resource struct {
	ID             string          `json:"id" db:"id"`
	InstallationID string          `json:"installationId" db:"installation_id"`
	ProductID      string          `json:"productId" db:"product_id"`
	Name           string          `json:"name" db:"name"`
	Metadata       json.RawMessage `json:"metadata"`
	BillingPlanID  string          `json:"billingPlanId,omitempty" db:"billing_plan_id"`
	Status         string          `json:"status" db:"status"`
	CreatedAt      time.Time       `json:"createdAt"`
	UpdatedAt      time.Time       `json:"updatedAt"`
}

// ResourceStore keeps our copy of resources.
type ResourceStore interface {
	PutResource(ctx context.Context, r Resource) (Resource, error)
	GetResource(ctx context.Context, installationID, id string) (Resource, error)
	ListResources(ctx context.Context, installationID string) ([]Resource, error)
}
