package deliveries

import (
	"context"
	"encoding/json"

	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// ResourcePatch is a change to our copy of a resource; nil fields stay.
type ResourcePatch struct {
	Name          *string
	Status        *string
	Metadata      json.RawMessage
	BillingPlanID *string
}

// UpdateResource changes our copy of a resource and, in the same
// transaction, queues resource.updated so Vercel re-reads it. It returns
// the resource as changed. A new name must pass installations.ResourceName.
func (s *Service) UpdateResource(ctx context.Context, key, installationID, resourceID string, p ResourcePatch) (installations.Resource, Delivery, error) {
	if p.Name != nil {
		name, err := installations.ResourceName(*p.Name)
		if err != nil {
			return installations.Resource{}, Delivery{}, err
		}
		p.Name = &name
	}
	cur, err := s.Resources.GetResource(ctx, installationID, resourceID)
	if err != nil {
		return installations.Resource{}, Delivery{}, err
	}
	var out installations.Resource
	w := CreateEvent(installationID, &vercelapi.EventRequest{Event: vercelapi.ResourceUpdated(resourceID, cur.ProductID)})
	w.IdemKey = key
	w.Local = func(ctx context.Context, tx installations.Tx, _ string) error {
		r, err := tx.Resource(ctx, installationID, resourceID)
		if err != nil {
			return err
		}
		old := r
		p.apply(&r)
		if out, err = tx.PutResource(ctx, r); err != nil {
			return err
		}
		return announce(ctx, tx, old, r)
	}
	d, err := s.Enqueue(ctx, w)
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

func (p ResourcePatch) apply(r *installations.Resource) {
	if p.BillingPlanID != nil {
		r.BillingPlanID = *p.BillingPlanID
	}
	if p.Name != nil {
		r.Name = *p.Name
	}
	if p.Status != nil {
		r.Status = *p.Status
	}
	if p.Metadata != nil {
		r.Metadata = p.Metadata
	}
}

// RenameResource implements installations.Actions.
func (s *Service) RenameResource(ctx context.Context, installationID, resourceID, name string) (installations.ActionResult, error) {
	_, d, err := s.UpdateResource(ctx, "", installationID, resourceID, ResourcePatch{Name: &name})
	return actionResult(d, err)
}

// ChangePlan implements installations.Actions: our copy takes the plan,
// Vercel hears resource.updated and re-reads it.
func (s *Service) ChangePlan(ctx context.Context, installationID, resourceID, planID string) (installations.ActionResult, error) {
	_, d, err := s.UpdateResource(ctx, "", installationID, resourceID, ResourcePatch{BillingPlanID: &planID})
	return actionResult(d, err)
}

// UpdateSecrets implements installations.Actions.
func (s *Service) UpdateSecrets(ctx context.Context, installationID, resourceID string, secrets []installations.Secret, partial bool) (installations.ActionResult, error) {
	req := &vercelapi.SecretsUpdate{Secrets: make([]vercelapi.Secret, len(secrets)), Partial: partial}
	for i, sec := range secrets {
		req.Secrets[i] = vercelapi.Secret{Name: sec.Name, Value: sec.Value}
		if len(sec.EnvironmentOverrides) > 0 {
			eo := sec.EnvironmentOverrides
			req.Secrets[i].EnvironmentOverrides = &vercelapi.EnvironmentOverrides{
				Development: eo["development"], Preview: eo["preview"], Production: eo["production"]}
		}
	}
	d, err := s.Enqueue(ctx, UpdateSecrets(installationID, resourceID, req))
	return actionResult(d, err)
}

// RefundInvoice implements installations.Actions.
func (s *Service) RefundInvoice(ctx context.Context, installationID, invoiceID, reason, total string) (installations.ActionResult, error) {
	d, err := s.Enqueue(ctx, RefundInvoice(installationID, invoiceID, reason, total))
	return actionResult(d, err)
}

func actionResult(d Delivery, err error) (installations.ActionResult, error) {
	if err != nil {
		return installations.ActionResult{DeliveryID: d.ID, Status: d.Status}, err
	}
	return installations.ActionResult{DeliveryID: d.ID, Status: d.Status}, nil
}

// Finalize queues finalizeInstallation for an uninstalled installation
// (pending_finalization); once Vercel accepts it the token is wiped. Also,
// when given, runs in the same transaction.
func (s *Service) Finalize(ctx context.Context, key, installationID string, also ...Local) (Delivery, error) {
	w := Finalize(installationID)
	w.IdemKey = key
	w.Local = func(ctx context.Context, tx installations.Tx, id string) error {
		in, err := tx.Installation(ctx, installationID)
		if err != nil {
			return err
		}
		if err := in.Finalizable(); err != nil {
			return err
		}
		for _, fn := range also {
			if err := fn(ctx, tx, id); err != nil {
				return err
			}
		}
		return nil
	}
	return s.Enqueue(ctx, w)
}
