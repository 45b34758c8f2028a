package provisioning

import (
	"encoding/json"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// ErrHookFailed is the one error a caller sees when the hook fails: the
// cause is logged, never shown (an answer may hold secrets).
var ErrHookFailed = &apperr.Error{Kind: apperr.Conflict, Code: "provisioning_failed",
	Message:     "the provider could not complete the request",
	UserMessage: "The provider could not complete this request. Please try again in a few minutes."}

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
