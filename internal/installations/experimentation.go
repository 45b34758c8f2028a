package installations

import (
	"context"
	"encoding/json"
	"time"
)

// ExperimentationItem is our copy of a flag or experiment the partner
// pushed to Vercel for a resource: Body is the item as sent (Vercel's
// shape), kept for the dashboard's item page.
type ExperimentationItem struct {
	InstallationID string
	ResourceID     string
	ID             string
	Body           json.RawMessage
	UpdatedAt      time.Time
}

// ExperimentationStore reads our copy of the items.
type ExperimentationStore interface {
	// FindExperimentationItems returns the installation's items with
	// that id (one per resource that has it).
	FindExperimentationItems(ctx context.Context, installationID, itemID string) ([]ExperimentationItem, error)
}
