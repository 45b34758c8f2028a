package vercelapi

import (
	"context"
	"encoding/json"
	"net/http"
)

// Event types accepted by createEvent; there are no others.
const (
	EventInstallationUpdated = "installation.updated"
	EventResourceUpdated     = "resource.updated"
)

// Event tells Vercel to re-read installation or resource state. Which keys
// it carries depends on Type: installation.updated takes an optional
// BillingPlanID; resource.updated a required ResourceID and an optional
// ProductID. Keys of the other type are refused by Validate and never sent.
type Event struct {
	Type          string `json:"type" vercel:"required"`
	BillingPlanID string `json:"billingPlanId,omitempty"` // installation.updated only
	ResourceID    string `json:"resourceId,omitempty"`    // resource.updated only (required)
	ProductID     string `json:"productId,omitempty"`     // resource.updated only
}

// InstallationUpdated is an installation.updated event; billingPlanID may
// be empty.
func InstallationUpdated(billingPlanID string) *Event {
	return &Event{Type: EventInstallationUpdated, BillingPlanID: billingPlanID}
}

// ResourceUpdated is a resource.updated event; productID may be empty.
func ResourceUpdated(resourceID, productID string) *Event {
	return &Event{Type: EventResourceUpdated, ResourceID: resourceID, ProductID: productID}
}

// MarshalJSON writes only the keys that belong to e.Type.
func (e Event) MarshalJSON() ([]byte, error) {
	switch e.Type {
	case EventInstallationUpdated:
		return json.Marshal(struct {
			Type          string `json:"type"`
			BillingPlanID string `json:"billingPlanId,omitempty"`
		}{e.Type, e.BillingPlanID})
	case EventResourceUpdated:
		return json.Marshal(struct {
			Type       string `json:"type"`
			ResourceID string `json:"resourceId"`
			ProductID  string `json:"productId,omitempty"`
		}{e.Type, e.ResourceID, e.ProductID})
	default:
		type plain Event
		return json.Marshal(plain(e))
	}
}

// Validate checks e as the "event" key of a createEvent body, so keys are
// reported as "event.<key>".
func (e *Event) Validate() error {
	if e == nil {
		return &ValidationError{Fields: []FieldError{{Key: "event", Message: "required"}}}
	}
	v := &validator{}
	e.validate(v, "event")
	return v.err()
}

func (e *Event) validate(v *validator, path string) {
	v.oneOf(join(path, "type"), e.Type, true, EventInstallationUpdated, EventResourceUpdated)
	switch e.Type {
	case EventInstallationUpdated:
		if e.ResourceID != "" {
			v.add(join(path, "resourceId"), "not allowed for installation.updated")
		}
		if e.ProductID != "" {
			v.add(join(path, "productId"), "not allowed for installation.updated")
		}
	case EventResourceUpdated:
		v.required(join(path, "resourceId"), e.ResourceID)
		if e.BillingPlanID != "" {
			v.add(join(path, "billingPlanId"), "not allowed for resource.updated")
		}
	}
}

// EventRequest is createEvent's body, {"event": {...}}; decode inbound
// bodies into it with DecodeStrict.
type EventRequest struct {
	Event *Event `json:"event" vercel:"required"`
}

// Validate checks r against Vercel's schema.
func (r *EventRequest) Validate() error {
	if r == nil {
		return nilBody()
	}
	return r.Event.Validate()
}

// CreateEvent notifies Vercel of a provider-side change to the installation
// or one of its resources; Vercel then re-reads state.
//
// POST /v1/installations/{installationId}/events
func (c *Client) CreateEvent(ctx context.Context, token, installationID string, ev *Event) error {
	body := &EventRequest{Event: ev}
	if err := checkCall(token, []string{"installationId", installationID}, body); err != nil {
		return err
	}
	r, err := newRequest(http.MethodPost, pathf("/v1/installations/%s/events", installationID), token, body, nil)
	if err != nil {
		return err
	}
	return c.do(ctx, r)
}
