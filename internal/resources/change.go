package resources

import (
	"context"

	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// Change is the partner's own change of a resource (the internal API's
// PATCH, the dashboard's rename and plan change): our copy takes it and,
// in the same transaction, resource.updated is queued so Vercel re-reads
// the resource; a rename and a plan change are announced on the feed. A
// new name must pass installations.ResourceName. key is the request's
// Idempotency-Key, if any. It returns the resource as changed.
func (s *Service) Change(ctx context.Context, key, installationID, resourceID string, p Patch) (installations.Resource, deliveries.Delivery, error) {
	if p.Name != nil {
		name, err := installations.ResourceName(*p.Name)
		if err != nil {
			return installations.Resource{}, deliveries.Delivery{}, err
		}
		p.Name = &name
	}
	cur, err := s.Resources.GetResource(ctx, installationID, resourceID)
	if err != nil {
		return installations.Resource{}, deliveries.Delivery{}, err
	}
	var out installations.Resource
	w := deliveries.CreateEvent(installationID, &vercelapi.EventRequest{Event: vercelapi.ResourceUpdated(resourceID, cur.ProductID)})
	w.IdemKey = key
	w.Local = func(ctx context.Context, tx installations.Tx, _ string) error {
		r, err := tx.Resource(ctx, installationID, resourceID)
		if err != nil {
			return err
		}
		old := r
		p.apply(&r)
		if out, err = tx.UpdateResource(ctx, r); err != nil {
			return err
		}
		return announce(ctx, tx, old, r)
	}
	d, err := s.Queue.Enqueue(ctx, w)
	return out, d, err
}

// announce puts a rename and a plan change on the feed.
func announce(ctx context.Context, tx installations.Tx, old, cur installations.Resource) error {
	if cur.Name != old.Name {
		if err := tx.AppendEvent(ctx, installations.NewEvent{Type: installations.EventResourceRenamed,
			InstallationID: cur.InstallationID, Subject: cur.ID,
			Data: map[string]string{"resourceId": cur.ID, "oldName": old.Name, "name": cur.Name}}); err != nil {
			return err
		}
	}
	if cur.BillingPlanID == old.BillingPlanID {
		return nil
	}
	return tx.AppendEvent(ctx, installations.NewEvent{Type: installations.EventResourceUpdateRequested,
		InstallationID: cur.InstallationID, Subject: cur.ID, Data: map[string]string{"resourceId": cur.ID,
			"previousBillingPlanId": old.BillingPlanID, "billingPlanId": cur.BillingPlanID}})
}
