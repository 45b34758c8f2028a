package resources

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"

	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// Hook request types of a suspension (provisioning.Request.Type).
const (
	HookSuspend = "resource.suspend"
	HookResume  = "resource.resume"
)

// statusRequests is how the partner's side hears of each status change:
// the hook's request type, or the feed's event.
var statusRequests = map[string]struct{ hook, event string }{
	vercelapi.StatusSuspended: {HookSuspend, installations.EventResourceSuspendRequested},
	vercelapi.StatusResumed:   {HookResume, installations.EventResourceResumeRequested},
}

// errUnchanged ends a status change that finds the resource already as
// asked: nothing is recorded.
var errUnchanged = errors.New("resources: the status is already as asked")

// Suspend suspends a resource of a live installation: the partner's
// side hears it first (hook resource.suspend, or the feed's
// resource.suspend_requested with the change), then its status becomes
// suspended here and at Vercel (updateResource {status}), in one
// transaction. A suspended resource stays as it is: no delivery (its ID
// is ""). key is the request's Idempotency-Key, if any; also, when
// given, runs in the transaction that records the change.
func (s *Service) Suspend(ctx context.Context, key, installationID, resourceID string,
	also ...deliveries.Local) (installations.Resource, deliveries.Delivery, error) {
	return s.setStatus(ctx, key, installationID, resourceID, vercelapi.StatusSuspended, also)
}

// Resume resumes a suspended resource as Suspend suspends it (hook
// resource.resume, feed resource.resume_requested); its status becomes
// resumed. A resource that is not suspended stays as it is.
func (s *Service) Resume(ctx context.Context, key, installationID, resourceID string,
	also ...deliveries.Local) (installations.Resource, deliveries.Delivery, error) {
	return s.setStatus(ctx, key, installationID, resourceID, vercelapi.StatusResumed, also)
}

// changes reports whether a resource in status cur takes status next.
func changes(cur, next string) bool {
	if next == vercelapi.StatusResumed {
		return cur == vercelapi.StatusSuspended
	}
	return cur != next
}

func (s *Service) setStatus(ctx context.Context, key, inst, id, status string,
	also []deliveries.Local) (installations.Resource, deliveries.Delivery, error) {
	cur, err := s.liveResource(ctx, inst, id)
	if err != nil || !changes(cur.Status, status) {
		return cur, deliveries.Delivery{}, err
	}
	next := cur
	next.Status = status
	told, err := s.mode.status(ctx, next, statusWebhookID(key, inst, id, status))
	if err != nil {
		return cur, deliveries.Delivery{}, err
	}
	out := cur
	w := deliveries.UpdateResource(inst, id, &vercelapi.UpdateResourceRequest{Status: status})
	w.IdemKey = key
	w.Local = func(ctx context.Context, tx installations.Tx, deliveryID string) error {
		r, err := tx.Resource(ctx, inst, id)
		if err != nil {
			return err
		}
		if !changes(r.Status, status) {
			out = r
			return errUnchanged
		}
		r.Status = status
		if out, err = tx.UpdateResource(ctx, r); err != nil {
			return err
		}
		for _, fn := range append([]deliveries.Local{told}, also...) {
			if fn == nil {
				continue
			}
			if err := fn(ctx, tx, deliveryID); err != nil {
				return err
			}
		}
		return nil
	}
	d, err := s.Queue.Enqueue(ctx, w)
	if errors.Is(err, errUnchanged) {
		return out, deliveries.Delivery{}, nil
	}
	if err == nil {
		s.Log.InfoContext(ctx, "resource status changed", "installation_id", inst, "resource_id", id,
			"status", status, "delivery_id", d.ID)
	}
	return out, d, err
}

// statusWebhookID names a suspension or resumption for the hook: the same
// for every retry of a request under one Idempotency-Key, so the partner's
// service can deduplicate it; without a key, each call is its own.
func statusWebhookID(key, inst, id, status string) string {
	if key == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(inst + "\x00" + id + "\x00" + status + "\x00" + key))
	return "msg_" + hex.EncodeToString(sum[:16])
}
