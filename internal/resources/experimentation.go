package resources

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// The partner's flags and experiments of a resource (a flags-category
// product): each change is queued for Vercel, ordered per resource, and
// our copy of the items (for the dashboard's item page) changes in the
// transaction that records it. key is the request's Idempotency-Key.

// PushItems sends new or changed items.
func (s *Service) PushItems(ctx context.Context, key, installationID, resourceID string, req *vercelapi.ExperimentationItems) (deliveries.Delivery, error) {
	w := deliveries.CreateItems(installationID, resourceID, req)
	return s.experimentation(ctx, key, w, installationID, resourceID, func(ctx context.Context, tx installations.Tx) error {
		for _, it := range req.Items {
			if err := keepItem(ctx, tx, installationID, resourceID, it.ID, it); err != nil {
				return err
			}
		}
		return nil
	})
}

// UpdateItem replaces one item.
func (s *Service) UpdateItem(ctx context.Context, key, installationID, resourceID, itemID string, req *vercelapi.ExperimentationItemUpdate) (deliveries.Delivery, error) {
	if err := checkItemID(itemID); err != nil {
		return deliveries.Delivery{}, err
	}
	w := deliveries.UpdateItem(installationID, resourceID, itemID, req)
	return s.experimentation(ctx, key, w, installationID, resourceID, func(ctx context.Context, tx installations.Tx) error {
		it := vercelapi.ExperimentationItem{ID: itemID, Slug: req.Slug, Origin: req.Origin, Category: req.Category,
			Name: req.Name, Description: req.Description, IsArchived: req.IsArchived, CreatedAt: req.CreatedAt, UpdatedAt: req.UpdatedAt}
		return keepItem(ctx, tx, installationID, resourceID, itemID, it)
	})
}

// DeleteItem removes one item.
func (s *Service) DeleteItem(ctx context.Context, key, installationID, resourceID, itemID string) (deliveries.Delivery, error) {
	if err := checkItemID(itemID); err != nil {
		return deliveries.Delivery{}, err
	}
	w := deliveries.DeleteItem(installationID, resourceID, itemID)
	return s.experimentation(ctx, key, w, installationID, resourceID, func(ctx context.Context, tx installations.Tx) error {
		return tx.DeleteExperimentationItem(ctx, installationID, resourceID, itemID)
	})
}

// PutGlobalConfig replaces the resource's global config at Vercel.
func (s *Service) PutGlobalConfig(ctx context.Context, key, installationID, resourceID string, req *vercelapi.GlobalConfigRequest) (deliveries.Delivery, error) {
	w := deliveries.PutGlobalConfig(installationID, resourceID, req)
	return s.experimentation(ctx, key, w, installationID, resourceID, nil)
}

// experimentation queues w for a resource we have, with also run in the
// transaction that records it.
func (s *Service) experimentation(ctx context.Context, key string, w deliveries.Write, installationID, resourceID string,
	also func(context.Context, installations.Tx) error) (deliveries.Delivery, error) {
	if strings.Contains(resourceID, "/") {
		return deliveries.Delivery{}, apperr.NotFoundf("resource %s not found", resourceID)
	}
	w.IdemKey = key
	w.Local = func(ctx context.Context, tx installations.Tx, _ string) error {
		if _, err := tx.Resource(ctx, installationID, resourceID); err != nil {
			return err
		}
		if also == nil {
			return nil
		}
		return also(ctx, tx)
	}
	return s.Queue.Enqueue(ctx, w)
}

func keepItem(ctx context.Context, tx installations.Tx, installationID, resourceID, itemID string, it vercelapi.ExperimentationItem) error {
	body, err := json.Marshal(it)
	if err != nil {
		return err
	}
	return tx.PutExperimentationItem(ctx, installations.ExperimentationItem{InstallationID: installationID,
		ResourceID: resourceID, ID: itemID, Body: body})
}

func checkItemID(id string) error {
	if vercelapi.ValidItemID(id) {
		return nil
	}
	return apperr.InvalidFields("invalid item id", apperr.Field{Key: "itemId", Message: "up to 256 characters, no control characters"})
}
