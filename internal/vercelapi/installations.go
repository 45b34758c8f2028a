package vercelapi

import (
	"context"
	"net/http"
	"reflect"
)

var typeNotification = reflect.TypeFor[Notification]()

// Installation and resource statuses.
const (
	StatusReady       = "ready"
	StatusPending     = "pending"
	StatusOnboarding  = "onboarding"
	StatusSuspended   = "suspended"
	StatusResumed     = "resumed"
	StatusUninstalled = "uninstalled"
	StatusError       = "error"
)

// Statuses lists every installation and resource status Vercel accepts.
var Statuses = []string{StatusReady, StatusPending, StatusOnboarding, StatusSuspended, StatusResumed, StatusUninstalled, StatusError}

// PlanDetail is one line of a plan's details or highlightedDetails.
type PlanDetail struct {
	Label string `json:"label" vercel:"required"`
	Value string `json:"value,omitempty"`
}

// QuoteLine is one line of a plan's quote.
type QuoteLine struct {
	Line   string `json:"line" vercel:"required"`
	Amount string `json:"amount" vercel:"required"`
}

// BillingPlan is a plan as sent to Vercel in updateInstallation and
// importResource.
type BillingPlan struct {
	ID                                 string       `json:"id,omitempty"`
	Type                               string       `json:"type,omitempty"` // prepayment | subscription
	Name                               string       `json:"name" vercel:"required"`
	Description                        string       `json:"description,omitempty"`
	Scope                              string       `json:"scope,omitempty"` // installation | resource
	PaymentMethodRequired              *bool        `json:"paymentMethodRequired,omitempty"`
	PreauthorizationAmount             *float64     `json:"preauthorizationAmount,omitempty"`
	InitialCharge                      string       `json:"initialCharge,omitempty"`
	Cost                               string       `json:"cost,omitempty"` // display text, e.g. "$20.00/month"
	MinimumAmount                      Money        `json:"minimumAmount,omitempty"`
	MaximumAmount                      Money        `json:"maximumAmount,omitempty"`
	MaximumAmountAutoPurchasePerPeriod Money        `json:"maximumAmountAutoPurchasePerPeriod,omitempty"`
	Details                            []PlanDetail `json:"details,omitempty"`
	HighlightedDetails                 []PlanDetail `json:"highlightedDetails,omitempty"`
	Quote                              []QuoteLine  `json:"quote,omitempty"`
	EffectiveDate                      Time         `json:"effectiveDate,omitzero"`
	Disabled                           bool         `json:"disabled,omitempty"`
}

func (p *BillingPlan) validate(v *validator, path string) {
	v.required(join(path, "name"), p.Name)
	v.oneOf(join(path, "type"), p.Type, false, "prepayment", "subscription")
	v.oneOf(join(path, "scope"), p.Scope, false, "installation", "resource")
	v.money(join(path, "minimumAmount"), p.MinimumAmount, false)
	v.money(join(path, "maximumAmount"), p.MaximumAmount, false)
	v.money(join(path, "maximumAmountAutoPurchasePerPeriod"), p.MaximumAmountAutoPurchasePerPeriod, false)
	if p.PreauthorizationAmount != nil {
		v.number(join(path, "preauthorizationAmount"), *p.PreauthorizationAmount)
	}
	for i, d := range p.Details {
		v.required(join(index(join(path, "details"), i), "label"), d.Label)
	}
	for i, d := range p.HighlightedDetails {
		v.required(join(index(join(path, "highlightedDetails"), i), "label"), d.Label)
	}
}

// InstallationUpdate is updateInstallation's body; every key is optional.
// Use ClearNotification() to send "notification": null.
type InstallationUpdate struct {
	Status       string            `json:"status,omitempty"`
	ExternalID   string            `json:"externalId,omitempty"`
	BillingPlan  *BillingPlan      `json:"billingPlan,omitempty"`
	Notification NotificationPatch `json:"notification,omitzero"`
}

// Validate checks u against Vercel's schema.
func (u *InstallationUpdate) Validate() error {
	if u == nil {
		return nilBody()
	}
	v := &validator{}
	v.oneOf("status", u.Status, false, Statuses...)
	if u.BillingPlan != nil {
		u.BillingPlan.validate(v, "billingPlan")
	}
	u.Notification.validate(v, "notification")
	return v.err()
}

// UpdateInstallation pushes the installation's status, plan or notification.
//
// PATCH /v1/installations/{installationId}
func (c *Client) UpdateInstallation(ctx context.Context, token, installationID string, u *InstallationUpdate) error {
	if err := checkCall(token, []string{"installationId", installationID}, u); err != nil {
		return err
	}
	r, err := newRequest(http.MethodPatch, pathf("/v1/installations/%s", installationID), token, u, nil)
	if err != nil {
		return err
	}
	return c.do(ctx, r)
}

// FinalizeInstallation tells Vercel no more invoices will come for an
// uninstalled installation, so deletion can proceed. The token is dead
// afterwards.
//
// POST /v1/installations/{installationId}/billing/finalize
func (c *Client) FinalizeInstallation(ctx context.Context, token, installationID string) error {
	if err := checkCall(token, []string{"installationId", installationID}, nil); err != nil {
		return err
	}
	r, err := newRequest(http.MethodPost, pathf("/v1/installations/%s/billing/finalize", installationID), token, nil, nil)
	if err != nil {
		return err
	}
	return c.do(ctx, r)
}
