package resources

import (
	"cmp"
	"context"
	"encoding/json"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/provisioning"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// A mode is how the partner's services hear what Vercel asks of a
// resource: hook (their provisioning hook answers at once) or feed (a
// *_requested event they follow, answered later through the internal
// API). Each method keeps our copy in step. key is the request's claimed
// Idempotency-Key: what a method changes commits with the request's answer
// (key.Keep), and the hook hears one webhook-id per key.
type mode interface {
	// provision creates res (status pending).
	provision(ctx context.Context, key installations.KeyClaim, res installations.Resource, externalID string) (Provisioned, error)
	// update applies p to our copy of cur, as it stands when the change
	// is kept (never bringing back a resource deleted or moved meanwhile).
	update(ctx context.Context, key installations.KeyClaim, cur installations.Resource, p Patch) (installations.Resource, error)
	// remove runs before our copy of res is deleted.
	remove(ctx context.Context, key installations.KeyClaim, res installations.Resource) error
	// rotate asks for new secrets; hours is how long the old ones stay valid.
	rotate(ctx context.Context, key installations.KeyClaim, res installations.Resource, reason string, hours *json.Number) (Rotation, error)
	// status tells the partner's side that res (as it will be) is
	// suspended or resumed: the hook at once, or the feed through the
	// change it returns, recorded with the new status.
	// webhookID names the change for the hook ("" a new one).
	status(ctx context.Context, res installations.Resource, webhookID string) (deliveries.Local, error)
}

// Provisioned is what a provision led to: the resource as kept (with
// the hook's notification, when it sent one) and, from the hook, its
// secrets (passed on, never stored in the clear).
type Provisioned struct {
	Resource installations.Resource
	Secrets  []provisioning.Secret // never nil
}

// Rotation is what a rotation request led to.
type Rotation struct {
	Sync    bool                  // the hook answered; Secrets are the new values
	Secrets []provisioning.Secret // never nil when Sync
}

// hook asks the partner's provisioning hook and waits for its answer;
// our copy changes only once the hook succeeded.
type hook struct {
	s      *Service
	client *provisioning.Client
}

// provision asks the hook, then keeps the row and the answer together. A
// retry under the same key has the same resource id and webhook-id, so the
// hook can answer the same resource again and the row is never doubled.
func (h hook) provision(ctx context.Context, key installations.KeyClaim, res installations.Resource, _ string) (Provisioned, error) {
	ans, err := h.call(ctx, key, h.request(provisioning.TypeProvision, res))
	if err != nil {
		return Provisioned{}, err
	}
	res.Status = cmp.Or(ans.Status, vercelapi.StatusReady)
	if n, ok := installations.NotificationOf(ans.Notification); ok {
		res.Notification = n.JSON() // kept, so the partner API's GET shows it too
	}
	var out Provisioned
	err = h.s.Tx(ctx, func(tx installations.Tx) error {
		r, err := tx.PutResource(ctx, res)
		if err != nil {
			return err
		}
		out = Provisioned{Resource: r, Secrets: ans.Secrets}
		return key.Keep(ctx, tx, out)
	})
	if err != nil && key.Ref == "" {
		// Without a key Vercel's retry has a new id: undo the hook's
		// resource, best effort.
		h.call(context.WithoutCancel(ctx), key, h.request(provisioning.TypeDelete, res))
	}
	return out, err
}

func (h hook) update(ctx context.Context, key installations.KeyClaim, cur installations.Resource, p Patch) (installations.Resource, error) {
	next := cur
	p.apply(&next)
	ans, err := h.call(ctx, key, h.request(provisioning.TypeUpdate, next))
	if err != nil {
		return installations.Resource{}, err
	}
	var out installations.Resource
	err = h.s.Tx(ctx, func(tx installations.Tx) error {
		r, err := tx.Resource(ctx, cur.InstallationID, cur.ID)
		if err != nil {
			return err
		}
		p.apply(&r)
		r.Status = cmp.Or(ans.Status, r.Status)
		if out, err = tx.UpdateResource(ctx, r); err != nil {
			return err
		}
		return key.Keep(ctx, tx, out)
	})
	return out, err
}

func (h hook) remove(ctx context.Context, key installations.KeyClaim, res installations.Resource) error {
	_, err := h.call(ctx, key, h.request(provisioning.TypeDelete, res))
	return err
}

func (h hook) rotate(ctx context.Context, key installations.KeyClaim, res installations.Resource, reason string, hours *json.Number) (Rotation, error) {
	req := h.request(provisioning.TypeRotateSecrets, res)
	req.Reason, req.DelayOldSecretsExpirationHours = reason, hours
	ans, err := h.call(ctx, key, req)
	if err != nil {
		return Rotation{}, err
	}
	rot := Rotation{Sync: true, Secrets: ans.Secrets}
	if key.Name == "" {
		return rot, nil
	}
	return rot, h.s.Tx(ctx, func(tx installations.Tx) error { return key.Keep(ctx, tx, rot) })
}

func (h hook) status(ctx context.Context, res installations.Resource, webhookID string) (deliveries.Local, error) {
	req := h.request(statusRequests[res.Status].hook, res)
	req.WebhookID = webhookID
	_, err := h.call(ctx, installations.KeyClaim{}, req)
	return nil, err
}

// request is a hook request about res, with its product's secret names.
func (h hook) request(typ string, res installations.Resource) provisioning.Request {
	req := provisioning.Request{Type: typ, InstallationID: res.InstallationID, Resource: h.s.view(res)}
	if p, ok := h.s.Catalog.Product(res.ProductID); ok {
		req.SecretNames = p.SecretNames
	}
	return req
}

// call calls the hook under key's webhook-id (one per key, so every
// retry of the request is the same operation to the hook); any failure,
// an answer that breaks the hook rules included, is the one 409 the user
// sees, with the cause logged (never the answer: it may hold secrets).
func (h hook) call(ctx context.Context, key installations.KeyClaim, req provisioning.Request) (provisioning.Response, error) {
	if key.Ref != "" {
		req.WebhookID, req.IdempotencyKey = "msg_"+key.Ref, key.Key
	}
	ans, err := h.client.Call(ctx, req)
	if err != nil {
		h.s.Log.WarnContext(ctx, "provisioning hook failed", "type", req.Type, "installation_id", req.InstallationID, "err", err)
		return provisioning.Response{}, provisioning.ErrHookFailed
	}
	return ans, nil
}

// feed keeps our copy at once and puts the request on the event feed, in
// one transaction with the request's answer.
type feed struct{ s *Service }

func (f feed) provision(ctx context.Context, key installations.KeyClaim, res installations.Resource, externalID string) (Provisioned, error) {
	var out Provisioned
	err := f.s.Tx(ctx, func(tx installations.Tx) error {
		switch r, err := tx.Resource(ctx, res.InstallationID, res.ID); {
		case err == nil: // made under this key before, with its event: answer it as is
			out = Provisioned{Resource: r, Secrets: []provisioning.Secret{}}
			return key.Keep(ctx, tx, out)
		case apperr.KindOf(err) != apperr.NotFound:
			return err
		}
		r, err := f.put(ctx, tx, res, func(out installations.Resource) installations.NewEvent {
			return installations.NewEvent{Type: installations.EventResourceProvisionRequested,
				Data: map[string]any{"resource": f.s.view(out), "externalId": externalID}}
		})
		if err != nil {
			return err
		}
		out = Provisioned{Resource: r, Secrets: []provisioning.Secret{}}
		return key.Keep(ctx, tx, out)
	})
	return out, err
}

func (f feed) update(ctx context.Context, key installations.KeyClaim, cur installations.Resource, p Patch) (installations.Resource, error) {
	var out installations.Resource
	err := f.s.Tx(ctx, func(tx installations.Tx) error {
		r, err := tx.Resource(ctx, cur.InstallationID, cur.ID)
		if err != nil {
			return err
		}
		p.apply(&r)
		if out, err = tx.UpdateResource(ctx, r); err != nil {
			return err
		}
		if err := tx.AppendEvent(ctx, installations.NewEvent{Type: installations.EventResourceUpdateRequested,
			InstallationID: out.InstallationID, Subject: out.ID, Data: map[string]any{"resource": f.s.view(out)}}); err != nil {
			return err
		}
		return key.Keep(ctx, tx, out)
	})
	return out, err
}

func (feed) remove(context.Context, installations.KeyClaim, installations.Resource) error { return nil }

func (f feed) rotate(ctx context.Context, key installations.KeyClaim, res installations.Resource, reason string, hours *json.Number) (Rotation, error) {
	data := map[string]any{"resourceId": res.ID, "reason": reason}
	if hours != nil {
		data["delayOldSecretsExpirationHours"] = *hours
	}
	err := f.s.Tx(ctx, func(tx installations.Tx) error {
		if err := tx.AppendEvent(ctx, installations.NewEvent{Type: installations.EventResourceSecretsRotationAsked,
			InstallationID: res.InstallationID, Subject: res.ID, Data: data}); err != nil {
			return err
		}
		return key.Keep(ctx, tx, Rotation{})
	})
	return Rotation{}, err
}

func (f feed) status(_ context.Context, res installations.Resource, _ string) (deliveries.Local, error) {
	return func(ctx context.Context, tx installations.Tx, _ string) error {
		return tx.AppendEvent(ctx, installations.NewEvent{Type: statusRequests[res.Status].event,
			InstallationID: res.InstallationID, Subject: res.ID, Data: map[string]any{"resource": f.s.view(res)}})
	}, nil
}

// put keeps res and appends the event ev makes of the kept resource, in tx.
func (f feed) put(ctx context.Context, tx installations.Tx, res installations.Resource, ev func(installations.Resource) installations.NewEvent) (installations.Resource, error) {
	out, err := tx.PutResource(ctx, res)
	if err != nil {
		return out, err
	}
	e := ev(out)
	e.InstallationID, e.Subject = res.InstallationID, res.ID
	return out, tx.AppendEvent(ctx, e)
}
