package resources

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// Update is Vercel's change of a resource of a live installation: the
// hook is asked first (when there is one), then our copy keeps the
// change; in feed mode the change goes on the feed for the partner's
// service. The change commits with the request's answer (key.Keep).
func (s *Service) Update(ctx context.Context, key installations.KeyClaim, installationID, resourceID string, p Patch) (installations.Resource, error) {
	cur, err := s.liveResource(ctx, installationID, resourceID)
	if err != nil {
		return installations.Resource{}, err
	}
	p, err = s.check(cur, p)
	if err != nil {
		return installations.Resource{}, err
	}
	return s.mode.update(ctx, key, cur, p)
}

// check validates Vercel's change of cur, naming every bad field, and
// returns it normalised: the name trimmed, the metadata with the
// schema's defaults (and left out for a product we no longer sell).
func (s *Service) check(cur installations.Resource, p Patch) (Patch, error) {
	var fields []apperr.Field
	out := Patch{BillingPlanID: p.BillingPlanID, Status: p.Status}
	if p.ProtocolSettings != nil {
		ps, field := checkProtocolSettings(p.ProtocolSettings)
		if field != nil {
			fields = append(fields, *field)
		}
		out.ProtocolSettings = json.RawMessage("null") // clears
		if ps != nil {
			out.ProtocolSettings = ps
		}
	}
	if p.Name != nil {
		name, err := installations.ResourceName(*p.Name)
		if err != nil {
			fields = append(fields, fieldsOf(err)...)
		}
		out.Name = &name
	}
	if p.BillingPlanID != nil {
		if msg := s.planProblem(cur.ProductID, *p.BillingPlanID, cur.BillingPlanID, cur.InstallationID); msg != "" {
			fields = append(fields, apperr.Field{Key: "billingPlanId", Message: msg})
		}
	}
	if p.Status != nil && !slices.Contains(vercelapi.Statuses, *p.Status) {
		fields = append(fields, apperr.Field{Key: "status", Message: "unknown status"})
	}
	if len(p.Metadata) > 0 && string(p.Metadata) != "null" {
		if product, ok := s.Catalog.Product(cur.ProductID); ok {
			md, mdFields := checkMetadata(product, p.Metadata)
			fields = append(fields, mdFields...)
			out.Metadata = md
		}
	}
	if len(fields) > 0 {
		return Patch{}, apperr.InvalidFields("Input has failed validation", fields...)
	}
	return out, nil
}

// Delete is Vercel's deletion of a resource: the hook deletes it first
// (when there is one), then our copy goes and resource.deleted is on the
// feed, in one transaction with the request's answer (key.Keep, with an
// empty outcome).
func (s *Service) Delete(ctx context.Context, key installations.KeyClaim, installationID, resourceID string) error {
	res, err := s.Resources.GetResource(ctx, installationID, resourceID)
	if err != nil {
		return err
	}
	if err := s.mode.remove(ctx, key, res); err != nil {
		return err
	}
	err = s.Tx(ctx, func(tx installations.Tx) error {
		if err := tx.DeleteResource(ctx, installationID, resourceID); err != nil {
			return err
		}
		if err := tx.AppendEvent(ctx, installations.NewEvent{Type: installations.EventResourceDeleted,
			InstallationID: installationID, Subject: resourceID, Data: map[string]any{"resource": s.view(res)}}); err != nil {
			return err
		}
		return key.Keep(ctx, tx, struct{}{})
	})
	if err != nil {
		return err
	}
	s.Log.InfoContext(ctx, "resource deleted", "installation_id", installationID, "resource_id", resourceID)
	return nil
}
