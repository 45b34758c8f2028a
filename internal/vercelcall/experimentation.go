package vercelcall

import (
	"context"

	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// CreateExperimentationItems is createInstallationIntegrationConfiguration.
func (v Installation) CreateExperimentationItems(ctx context.Context, resourceID string, req *vercelapi.ExperimentationItems) error {
	_, err := call(ctx, v, none(func(ctx context.Context, c *vercelapi.Client, token string) error {
		return c.CreateExperimentationItems(ctx, token, v.id, resourceID, req)
	}))
	return err
}

// UpdateExperimentationItem is updateInstallationIntegrationConfiguration.
func (v Installation) UpdateExperimentationItem(ctx context.Context, resourceID, itemID string, req *vercelapi.ExperimentationItemUpdate) error {
	_, err := call(ctx, v, none(func(ctx context.Context, c *vercelapi.Client, token string) error {
		return c.UpdateExperimentationItem(ctx, token, v.id, resourceID, itemID, req)
	}))
	return err
}

// DeleteExperimentationItem is deleteInstallationIntegrationConfiguration.
func (v Installation) DeleteExperimentationItem(ctx context.Context, resourceID, itemID string) error {
	_, err := call(ctx, v, none(func(ctx context.Context, c *vercelapi.Client, token string) error {
		return c.DeleteExperimentationItem(ctx, token, v.id, resourceID, itemID)
	}))
	return err
}

// GetGlobalConfig is getExperimentationGlobalConfig.
func (v Installation) GetGlobalConfig(ctx context.Context, resourceID string) (*vercelapi.GlobalConfig, error) {
	return call(ctx, v, func(ctx context.Context, c *vercelapi.Client, token string) (*vercelapi.GlobalConfig, error) {
		return c.GetGlobalConfig(ctx, token, v.id, resourceID)
	})
}

// PutGlobalConfig is replaceExperimentationGlobalConfig.
func (v Installation) PutGlobalConfig(ctx context.Context, resourceID string, req *vercelapi.GlobalConfigRequest) (*vercelapi.GlobalConfig, error) {
	return call(ctx, v, func(ctx context.Context, c *vercelapi.Client, token string) (*vercelapi.GlobalConfig, error) {
		return c.PutGlobalConfig(ctx, token, v.id, resourceID, req)
	})
}
