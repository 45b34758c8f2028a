package provisioning

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// ErrHookFailed is the one error a caller sees when the hook fails: the
// cause is logged, never shown (an answer may hold secrets).
var ErrHookFailed = &apperr.Error{Kind: apperr.Conflict, Code: "provisioning_failed",
	Message:     "the provider could not complete the request",
	UserMessage: "The provider could not complete this request. Please try again in a few minutes."}

// Rotator asks for a resource's new secrets the one way the server is set
// up for: the hook answers them at once, or a
// resource.secrets_rotation_requested event on the feed asks the
// partner's service, which sends them through the internal API. Vercel's
// rotation request and the dashboard's button both go through it.
type Rotator struct {
	Hook *Client // nil: feed mode
	InTx func(ctx context.Context, fn func(installations.Tx) error) error
	Log  *slog.Logger
}

// Rotation is what a rotation request led to.
type Rotation struct {
	Sync    bool     // the hook answered; Secrets are the new values
	Secrets []Secret // never nil when Sync
}

// Rotate asks for new secrets of res (view is the resource as the hook
// sees it). hours is how long the old secrets stay valid, if given.
func (r *Rotator) Rotate(ctx context.Context, res installations.Resource, view any, reason string, hours *json.Number) (Rotation, error) {
	if r.Hook != nil {
		ans, err := r.Hook.Call(ctx, Request{Type: TypeRotateSecrets, InstallationID: res.InstallationID,
			Resource: view, Reason: reason, DelayOldSecretsExpirationHours: hours})
		if err != nil {
			if r.Log != nil {
				r.Log.WarnContext(ctx, "provisioning hook failed", "type", TypeRotateSecrets, "installation_id", res.InstallationID, "err", err)
			}
			return Rotation{}, ErrHookFailed
		}
		if ans.Secrets == nil {
			ans.Secrets = []Secret{}
		}
		return Rotation{Sync: true, Secrets: ans.Secrets}, nil
	}
	data := map[string]any{"resourceId": res.ID, "reason": reason}
	if hours != nil {
		data["delayOldSecretsExpirationHours"] = *hours
	}
	err := r.InTx(ctx, func(tx installations.Tx) error {
		return tx.AppendEvent(ctx, installations.NewEvent{Type: installations.EventResourceSecretsRotationAsked,
			InstallationID: res.InstallationID, Subject: res.ID, Data: data})
	})
	return Rotation{}, err
}

// HookResource is a resource as the hook sees it: Vercel's Resource shape.
type HookResource struct {
	ID          string                     `json:"id"`
	ProductID   string                     `json:"productId"`
	Name        string                     `json:"name"`
	Metadata    json.RawMessage            `json:"metadata"`
	Status      string                     `json:"status"`
	BillingPlan *installations.BillingPlan `json:"billingPlan,omitempty"`
}

// ResourceOf is r as the hook sees it, its plan taken from the catalog.
func ResourceOf(r installations.Resource, c installations.Catalog) HookResource {
	v := HookResource{ID: r.ID, ProductID: r.ProductID, Name: r.Name, Metadata: r.Metadata, Status: r.Status}
	if len(v.Metadata) == 0 {
		v.Metadata = json.RawMessage("{}")
	}
	if plan, ok := c.Plan(r.BillingPlanID); ok {
		v.BillingPlan = &plan
	}
	return v
}
