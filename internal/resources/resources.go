// Package resources holds the resource use cases: what Vercel asks of a
// resource (provision, update, delete, rotate its secrets) and what the
// partner's own side changes (rename, status, metadata, plan, new
// secrets). The surfaces decode, call one method and encode; the rules
// live here once.
//
// Who does the real work is decided once, in New: the partner's
// provisioning hook, called and answered at once, or, without one, the
// event feed the partner's service follows.
package resources

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/provisioning"
)

// Deps are the service's collaborators.
type Deps struct {
	Installations installations.Store
	Resources     installations.ResourceStore
	// Tx runs fn in one database transaction (db.DB.InTx).
	Tx      func(ctx context.Context, fn func(installations.Tx) error) error
	Catalog installations.Catalog
	// Queue forwards the writes to Vercel a change causes.
	Queue Queue
	// Hook is the provisioning hook; nil is feed mode.
	Hook *provisioning.Client
	Log  *slog.Logger // optional
}

// Queue is the delivery queue (deliveries.Service).
type Queue interface {
	Enqueue(ctx context.Context, w deliveries.Write) (deliveries.Delivery, error)
}

// Service is the resource use cases.
type Service struct {
	Deps
	mode mode
}

// New returns the service, in hook mode when d.Hook is set.
func New(d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	s := &Service{Deps: d}
	s.mode = feed{s}
	if d.Hook != nil {
		s.mode = hook{s, d.Hook}
	}
	return s
}

// Patch is a change to a resource; nil fields stay as they are. It is
// Vercel's Update Resource body (status is deprecated there but still
// accepted) and what the partner's side changes alike.
type Patch struct {
	Name          *string         `json:"name"`
	Metadata      json.RawMessage `json:"metadata"`
	BillingPlanID *string         `json:"billingPlanId"`
	Status        *string         `json:"status"`
	// ProtocolSettings: absent keeps them, null clears them.
	ProtocolSettings json.RawMessage `json:"protocolSettings"`
}

// apply is the one place a patch changes a resource.
func (p Patch) apply(r *installations.Resource) {
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
	if p.ProtocolSettings != nil {
		r.ProtocolSettings = p.ProtocolSettings
		if string(p.ProtocolSettings) == "null" {
			r.ProtocolSettings = nil
		}
	}
}

// Get returns one resource of an installation.
func (s *Service) Get(ctx context.Context, installationID, resourceID string) (installations.Resource, error) {
	return s.Resources.GetResource(ctx, installationID, resourceID)
}

// List returns an installation's resources.
func (s *Service) List(ctx context.Context, installationID string) ([]installations.Resource, error) {
	return s.Resources.ListResources(ctx, installationID)
}

// live returns the installation when Vercel may still change it: 404
// when unknown, 409 once uninstalled.
func (s *Service) live(ctx context.Context, installationID string) error {
	in, err := s.Installations.Get(ctx, installationID)
	if err != nil {
		return err
	}
	return in.Live()
}

// liveResource is a resource of a live installation.
func (s *Service) liveResource(ctx context.Context, installationID, resourceID string) (installations.Resource, error) {
	if err := s.live(ctx, installationID); err != nil {
		return installations.Resource{}, err
	}
	return s.Resources.GetResource(ctx, installationID, resourceID)
}

// view is a resource as the hook and the feed see it.
func (s *Service) view(r installations.Resource) provisioning.HookResource {
	return provisioning.ResourceOf(r, s.Catalog)
}
