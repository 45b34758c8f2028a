package vercelapi

import (
	"context"
	"encoding/json"
	"net/http"
)

// Resource ownership values for importResource and updateResource.
const (
	OwnershipOwned   = "owned"
	OwnershipLinked  = "linked"
	OwnershipSandbox = "sandbox"
)

// Resource is Vercel's copy of one of our resources. The single GET fills
// ID; the list fills PartnerID; both are our resource ID.
type Resource struct {
	ID               string            `json:"id,omitempty"`
	PartnerID        string            `json:"partnerId,omitempty"`
	InternalID       string            `json:"internalId,omitempty"` // Vercel's ID
	Name             string            `json:"name"`
	ProductID        string            `json:"productId"`
	Status           string            `json:"status,omitempty"`
	BillingPlanID    string            `json:"billingPlanId,omitempty"`
	Metadata         map[string]any    `json:"metadata,omitempty"`
	Notification     *Notification     `json:"notification,omitempty"`
	ProtocolSettings *ProtocolSettings `json:"protocolSettings,omitempty"`
}

// ProtocolSettings are a resource's protocol-specific settings.
type ProtocolSettings struct {
	Authentication  *AuthenticationSettings `json:"authentication,omitempty"`
	Experimentation map[string]any          `json:"experimentation,omitempty"` // edgeConfigId, globalConfigId, ...
}

// AuthenticationSettings lists a resource's app URLs per environment.
type AuthenticationSettings struct {
	AppURLs []AppURL `json:"appUrls,omitempty"`
}

// AppURL is one app URL of a resource.
type AppURL struct {
	Target string `json:"target"` // development | preview | production
	URL    string `json:"url"`
}

// ResourceWriteResult is the answer to importResource and updateResource.
type ResourceWriteResult struct {
	Name string `json:"name"`
}

// ImportResourceRequest is importResource's body: a resource created on our
// side, upserted into Vercel.
type ImportResourceRequest struct {
	Ownership    string         `json:"ownership,omitempty"` // owned | linked | sandbox
	ProductID    string         `json:"productId" vercel:"required"`
	Name         string         `json:"name" vercel:"required"`
	Status       string         `json:"status" vercel:"required"`
	Metadata     map[string]any `json:"metadata,omitempty"`
	BillingPlan  *BillingPlan   `json:"billingPlan,omitempty"`
	Notification *Notification  `json:"notification,omitempty"`
	Extras       map[string]any `json:"extras,omitempty"`
	Secrets      []Secret       `json:"secrets,omitempty"`
}

// Validate checks r against Vercel's schema.
func (r *ImportResourceRequest) Validate() error {
	if r == nil {
		return nilBody()
	}
	v := &validator{}
	v.oneOf("ownership", r.Ownership, false, OwnershipOwned, OwnershipLinked, OwnershipSandbox)
	v.required("productId", r.ProductID)
	v.required("name", r.Name)
	v.oneOf("status", r.Status, true, Statuses...)
	v.metadata("metadata", r.Metadata)
	if r.BillingPlan != nil {
		r.BillingPlan.validate(v, "billingPlan")
	}
	if r.Notification != nil {
		r.Notification.validate(v, "notification")
	}
	validateSecrets(v, "secrets", r.Secrets)
	return v.err()
}

// UpdateResourceRequest is updateResource's body; every key is optional.
// Use ClearNotification() to send "notification": null.
type UpdateResourceRequest struct {
	Ownership    string            `json:"ownership,omitempty"`
	Name         string            `json:"name,omitempty"`
	Status       string            `json:"status,omitempty"`
	Metadata     map[string]any    `json:"metadata,omitempty"`
	BillingPlan  *BillingPlan      `json:"billingPlan,omitempty"`
	Notification NotificationPatch `json:"notification,omitzero"`
	Extras       map[string]any    `json:"extras,omitempty"`
	Secrets      *ResourceSecrets  `json:"secrets,omitempty"`
}

// Validate checks r against Vercel's schema.
func (r *UpdateResourceRequest) Validate() error {
	if r == nil {
		return nilBody()
	}
	v := &validator{}
	v.oneOf("ownership", r.Ownership, false, OwnershipOwned, OwnershipLinked, OwnershipSandbox)
	v.oneOf("status", r.Status, false, Statuses...)
	v.metadata("metadata", r.Metadata)
	if r.BillingPlan != nil {
		r.BillingPlan.validate(v, "billingPlan")
	}
	r.Notification.validate(v, "notification")
	if r.Secrets != nil {
		r.Secrets.validate(v, "secrets")
	}
	return v.err()
}

// metadata allows the value types Vercel stores: string, number, boolean,
// and arrays of strings or of numbers.
func (v *validator) metadata(path string, m map[string]any) {
	for _, k := range sortedKeys(m) {
		if !metadataValue(m[k]) {
			v.add(join(path, k), "must be a string, number, boolean, or an array of strings or of numbers")
		}
	}
}

func metadataValue(val any) bool {
	switch val := val.(type) {
	case string, bool, float64, float32, int, int64, int32, json.Number, []string, []float64, []int:
		return true
	case []any:
		var strs, nums int
		for _, e := range val {
			switch e.(type) {
			case string:
				strs++
			case float64, json.Number, int, int64:
				nums++
			default:
				return false
			}
		}
		return strs == 0 || nums == 0
	}
	return false
}

// GetIntegrationResources lists Vercel's copy of the installation's
// resources (each with PartnerID set).
//
// GET /v1/installations/{installationId}/resources
func (c *Client) GetIntegrationResources(ctx context.Context, token, installationID string) ([]Resource, error) {
	if err := checkCall(token, []string{"installationId", installationID}, nil); err != nil {
		return nil, err
	}
	var out struct {
		Resources []Resource `json:"resources"`
	}
	r, err := newRequest(http.MethodGet, pathf("/v1/installations/%s/resources", installationID), token, nil, &out)
	if err != nil {
		return nil, err
	}
	if err := c.do(ctx, r); err != nil {
		return nil, err
	}
	return out.Resources, nil
}

// GetIntegrationResource reads Vercel's copy of one resource by our ID.
//
// GET /v1/installations/{installationId}/resources/{resourceId}
func (c *Client) GetIntegrationResource(ctx context.Context, token, installationID, resourceID string) (*Resource, error) {
	return callJSON[Resource](ctx, c, http.MethodGet, token, pathf("/v1/installations/%s/resources/%s", installationID, resourceID), []string{"installationId", installationID, "resourceId", resourceID}, nil)
}

// ImportResource upserts a resource created on our side.
//
// PUT /v1/installations/{installationId}/resources/{resourceId}
func (c *Client) ImportResource(ctx context.Context, token, installationID, resourceID string, req *ImportResourceRequest) (*ResourceWriteResult, error) {
	return c.writeResource(ctx, http.MethodPut, token, installationID, resourceID, req)
}

// UpdateResource partially updates Vercel's copy of a resource.
//
// PATCH /v1/installations/{installationId}/resources/{resourceId}
func (c *Client) UpdateResource(ctx context.Context, token, installationID, resourceID string, req *UpdateResourceRequest) (*ResourceWriteResult, error) {
	return c.writeResource(ctx, http.MethodPatch, token, installationID, resourceID, req)
}

func (c *Client) writeResource(ctx context.Context, method, token, installationID, resourceID string, body interface{ Validate() error }) (*ResourceWriteResult, error) {
	return callJSON[ResourceWriteResult](ctx, c, method, token, pathf("/v1/installations/%s/resources/%s", installationID, resourceID), []string{"installationId", installationID, "resourceId", resourceID}, body)
}

// DeleteIntegrationResource removes a resource from Vercel.
//
// DELETE /v1/installations/{installationId}/resources/{resourceId}
func (c *Client) DeleteIntegrationResource(ctx context.Context, token, installationID, resourceID string) error {
	if err := checkCall(token, []string{"installationId", installationID, "resourceId", resourceID}, nil); err != nil {
		return err
	}
	r, err := newRequest(http.MethodDelete, pathf("/v1/installations/%s/resources/%s", installationID, resourceID), token, nil, nil)
	if err != nil {
		return err
	}
	return c.do(ctx, r)
}
