// Package notifications holds the use cases of the notifications Vercel
// shows on an installation and on each resource: the partner sets or
// clears one, it is stored (the partner API's GET shows it) and
// delivered with updateInstallation or updateResource, in one
// transaction. Changes of one notification reach Vercel in order, and
// when several are pending only the newest is sent.
package notifications

import (
	"context"
	"encoding/json"

	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// Queue is the delivery queue (deliveries.Service).
type Queue interface {
	Enqueue(ctx context.Context, w deliveries.Write) (deliveries.Delivery, error)
}

// Service is the notification use cases.
type Service struct {
	Queue Queue
}

// New returns the service.
func New(q Queue) *Service { return &Service{Queue: q} }

// SetInstallation shows n on the installation. key is the request's
// Idempotency-Key, if any; also, when given, runs in the transaction
// that records the change.
func (s *Service) SetInstallation(ctx context.Context, key, installationID string, n installations.Notification,
	also ...deliveries.Local) (installations.Installation, deliveries.Delivery, error) {
	if err := n.Check(); err != nil {
		return installations.Installation{}, deliveries.Delivery{}, err
	}
	return s.installation(ctx, key, installationID, &n, also)
}

// ClearInstallation removes the installation's notification (Vercel is
// sent "notification": null).
func (s *Service) ClearInstallation(ctx context.Context, key, installationID string,
	also ...deliveries.Local) (installations.Installation, deliveries.Delivery, error) {
	return s.installation(ctx, key, installationID, nil, also)
}

func (s *Service) installation(ctx context.Context, key, id string, n *installations.Notification,
	also []deliveries.Local) (installations.Installation, deliveries.Delivery, error) {
	var out installations.Installation
	w := deliveries.UpdateInstallation(id, &vercelapi.InstallationUpdate{Notification: patch(n)})
	w.IdemKey = key
	w.Local = func(ctx context.Context, tx installations.Tx, deliveryID string) error {
		if err := tx.SetInstallationNotification(ctx, id, stored(n)); err != nil {
			return err
		}
		if err := run(ctx, tx, deliveryID, also); err != nil {
			return err
		}
		var err error
		out, err = tx.Installation(ctx, id)
		return err
	}
	d, err := s.Queue.Enqueue(ctx, w)
	return out, d, err
}

// SetResource shows n on a resource.
func (s *Service) SetResource(ctx context.Context, key, installationID, resourceID string, n installations.Notification,
	also ...deliveries.Local) (installations.Resource, deliveries.Delivery, error) {
	if err := n.Check(); err != nil {
		return installations.Resource{}, deliveries.Delivery{}, err
	}
	return s.resource(ctx, key, installationID, resourceID, &n, also)
}

// ClearResource removes a resource's notification.
func (s *Service) ClearResource(ctx context.Context, key, installationID, resourceID string,
	also ...deliveries.Local) (installations.Resource, deliveries.Delivery, error) {
	return s.resource(ctx, key, installationID, resourceID, nil, also)
}

func (s *Service) resource(ctx context.Context, key, inst, id string, n *installations.Notification,
	also []deliveries.Local) (installations.Resource, deliveries.Delivery, error) {
	var out installations.Resource
	w := deliveries.UpdateResource(inst, id, &vercelapi.UpdateResourceRequest{Notification: patch(n)})
	w.IdemKey = key
	w.Local = func(ctx context.Context, tx installations.Tx, deliveryID string) error {
		if err := tx.SetResourceNotification(ctx, inst, id, stored(n)); err != nil {
			return err
		}
		if err := run(ctx, tx, deliveryID, also); err != nil {
			return err
		}
		var err error
		out, err = tx.Resource(ctx, inst, id)
		return err
	}
	d, err := s.Queue.Enqueue(ctx, w)
	return out, d, err
}

// patch is the notification key of the PATCH body: n, or null to clear.
func patch(n *installations.Notification) vercelapi.NotificationPatch {
	if n == nil {
		return vercelapi.ClearNotification()
	}
	return vercelapi.SetNotification(vercelapi.Notification{Level: n.Level, Title: n.Title, Message: n.Message, Href: n.Href})
}

// stored is n as kept (nil: none).
func stored(n *installations.Notification) json.RawMessage {
	if n == nil {
		return nil
	}
	return n.JSON()
}

func run(ctx context.Context, tx installations.Tx, deliveryID string, also []deliveries.Local) error {
	for _, fn := range also {
		if err := fn(ctx, tx, deliveryID); err != nil {
			return err
		}
	}
	return nil
}
