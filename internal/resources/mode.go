package resources

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/provisioning"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// A mode is how the partner's services hear what Vercel asks of a
// resource: hook (their provisioning hook answers at once) or feed (a
// *_requested event they follow, answered later through the internal
// API). Each method keeps our copy in step.
type mode interface {
	// provision creates res (status pending).
	provision(ctx context.Context, res installations.Resource, externalID string) (Provisioned, error)
	// update keeps next, the resource as changed.
	update(ctx context.Context, next installations.Resource) (installations.Resource, error)
	// remove runs before our copy of res is deleted.
	remove(ctx context.Context, res installations.Resource) error
	// rotate asks for new secrets; hours is how long the old ones stay valid.
	rotate(ctx context.Context, res installations.Resource, reason string, hours *json.Number) (Rotation, error)
	// status tells the partner's side that res (as it will be) is
	// suspended or resumed: the hook at once, or the feed through the
	// change it returns, recorded with the new status.
	status(ctx context.Context, res installations.Resource) (deliveries.Local, error)
}

// Provisioned is what a provision led to: the resource as kept (with
// the hook's notification, when it sent a valid one) and, from the hook,
// its secrets (passed on, never stored).
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

func (h hook) provision(ctx context.Context, res installations.Resource, _ string) (Provisioned, error) {
	ans, err := h.call(ctx, provisioning.Request{Type: provisioning.TypeProvision, InstallationID: res.InstallationID, Resource: h.s.view(res)})
	if err != nil {
		return Provisioned{}, err
	}
	res.Status = cmp.Or(ans.Status, vercelapi.StatusReady)
	if n, ok := installations.NotificationOf(ans.Notification); ok && n.Check() == nil {
		res.Notification = n.JSON() // kept, so the partner API's GET shows it too
	}
	out, err := h.s.Resources.PutResource(ctx, res)
	if err != nil {
		// Vercel will retry with a new id: undo the hook's resource, best effort.
		h.call(context.WithoutCancel(ctx), provisioning.Request{Type: provisioning.TypeDelete,
			InstallationID: res.InstallationID, Resource: h.s.view(res)})
		return Provisioned{}, err
	}
	return Provisioned{Resource: out, Secrets: nonNil(ans.Secrets)}, nil
}

func (h hook) update(ctx context.Context, next installations.Resource) (installations.Resource, error) {
	ans, err := h.call(ctx, provisioning.Request{Type: provisioning.TypeUpdate, InstallationID: next.InstallationID, Resource: h.s.view(next)})
	if err != nil {
		return installations.Resource{}, err
	}
	next.Status = cmp.Or(ans.Status, next.Status)
	return h.s.Resources.PutResource(ctx, next)
}

func (h hook) remove(ctx context.Context, res installations.Resource) error {
	_, err := h.call(ctx, provisioning.Request{Type: provisioning.TypeDelete, InstallationID: res.InstallationID, Resource: h.s.view(res)})
	return err
}

func (h hook) rotate(ctx context.Context, res installations.Resource, reason string, hours *json.Number) (Rotation, error) {
	ans, err := h.call(ctx, provisioning.Request{Type: provisioning.TypeRotateSecrets, InstallationID: res.InstallationID,
		Resource: h.s.view(res), Reason: reason, DelayOldSecretsExpirationHours: hours})
	if err != nil {
		return Rotation{}, err
	}
	return Rotation{Sync: true, Secrets: nonNil(ans.Secrets)}, nil
}

func (h hook) status(ctx context.Context, res installations.Resource) (deliveries.Local, error) {
	_, err := h.call(ctx, provisioning.Request{Type: statusRequests[res.Status].hook, InstallationID: res.InstallationID,
		Resource: h.s.view(res)})
	return nil, err
}

// call calls the hook; any failure is the one 409 the user sees, with
// the cause logged (never the answer: it may hold secrets). A status the
// hook answers must be one of Vercel's (a rotation's status is not used).
func (h hook) call(ctx context.Context, req provisioning.Request) (provisioning.Response, error) {
	ans, err := h.client.Call(ctx, req)
	if err == nil && req.Type != provisioning.TypeRotateSecrets && ans.Status != "" && !slices.Contains(vercelapi.Statuses, ans.Status) {
		err = apperr.New(apperr.Internal, "bad_hook_status", "the hook answered an unknown status")
	}
	if err != nil {
		h.s.Log.WarnContext(ctx, "provisioning hook failed", "type", req.Type, "installation_id", req.InstallationID, "err", err)
		return provisioning.Response{}, provisioning.ErrHookFailed
	}
	return ans, nil
}

// feed keeps our copy at once and puts the request on the event feed, in
// one transaction.
type feed struct{ s *Service }

func (f feed) provision(ctx context.Context, res installations.Resource, externalID string) (Provisioned, error) {
	out, err := f.put(ctx, res, func(out installations.Resource) installations.NewEvent {
		return installations.NewEvent{Type: installations.EventResourceProvisionRequested,
			Data: map[string]any{"resource": f.s.view(out), "externalId": externalID}}
	})
	return Provisioned{Resource: out, Secrets: []provisioning.Secret{}}, err
}

func (f feed) update(ctx context.Context, next installations.Resource) (installations.Resource, error) {
	return f.put(ctx, next, func(out installations.Resource) installations.NewEvent {
		return installations.NewEvent{Type: installations.EventResourceUpdateRequested, Data: map[string]any{"resource": f.s.view(out)}}
	})
}

func (feed) remove(context.Context, installations.Resource) error { return nil }

func (f feed) rotate(ctx context.Context, res installations.Resource, reason string, hours *json.Number) (Rotation, error) {
	data := map[string]any{"resourceId": res.ID, "reason": reason}
	if hours != nil {
		data["delayOldSecretsExpirationHours"] = *hours
	}
	err := f.s.Tx(ctx, func(tx installations.Tx) error {
		return tx.AppendEvent(ctx, installations.NewEvent{Type: installations.EventResourceSecretsRotationAsked,
			InstallationID: res.InstallationID, Subject: res.ID, Data: data})
	})
	return Rotation{}, err
}

func (f feed) status(_ context.Context, res installations.Resource) (deliveries.Local, error) {
	return func(ctx context.Context, tx installations.Tx, _ string) error {
		return tx.AppendEvent(ctx, installations.NewEvent{Type: statusRequests[res.Status].event,
			InstallationID: res.InstallationID, Subject: res.ID, Data: map[string]any{"resource": f.s.view(res)}})
	}, nil
}

// put keeps res and appends the event ev makes of the kept resource.
func (f feed) put(ctx context.Context, res installations.Resource, ev func(installations.Resource) installations.NewEvent) (installations.Resource, error) {
	var out installations.Resource
	err := f.s.Tx(ctx, func(tx installations.Tx) error {
		var err error
		if out, err = tx.PutResource(ctx, res); err != nil {
			return err
		}
		e := ev(out)
		e.InstallationID, e.Subject = res.InstallationID, res.ID
		return tx.AppendEvent(ctx, e)
	})
	return out, err
}

func nonNil(s []provisioning.Secret) []provisioning.Secret {
	if s == nil {
		return []provisioning.Secret{}
	}
	return s
}
