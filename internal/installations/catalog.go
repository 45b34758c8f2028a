package installations

import (
	"encoding/json"
	"slices"
)

// Product is one entry of the catalog served to Vercel: our product and the
// billing plans it offers.
type Product struct {
	ID    string        `json:"id"`
	Name  string        `json:"name"`
	Plans []BillingPlan `json:"plans"`
	// SecretNames are the environment variables a resource of this product
	// provides; the dashboard's rotation issues new values for them.
	SecretNames []string `json:"-"`
	// MetadataSchema checks the metadata of this product's resources; nil
	// means the product takes no metadata keys.
	MetadataSchema *MetadataSchema `json:"metadataSchema,omitempty"`
}

// BillingPlan is Vercel's BillingPlan shape, as we serve it, plus Price, Meters and Installations, which are ours: they drive
// billing and visibility and are never sent to Vercel.
type BillingPlan struct {
	ID                    string       `json:"id"`
	Type                  string       `json:"type"`
	Name                  string       `json:"name"`
	Description           string       `json:"description"`
	Scope                 string       `json:"scope,omitempty"`
	PaymentMethodRequired *bool        `json:"paymentMethodRequired,omitempty"`
	Cost                  string       `json:"cost,omitempty"`
	Details               []PlanDetail `json:"details,omitempty"`
	HighlightedDetails    []PlanDetail `json:"highlightedDetails,omitempty"`
	Disabled              bool         `json:"disabled,omitempty"`
	// PreauthorizationAmount is a JSON number of USD, e.g. 10.53.
	PreauthorizationAmount             json.Number `json:"preauthorizationAmount,omitempty"`
	InitialCharge                      string      `json:"initialCharge,omitempty"`
	MinimumAmount                      string      `json:"minimumAmount,omitempty"`
	MaximumAmount                      string      `json:"maximumAmount,omitempty"`
	MaximumAmountAutoPurchasePerPeriod string      `json:"maximumAmountAutoPurchasePerPeriod,omitempty"`
	Quote                              []QuoteLine `json:"quote,omitempty"`
	EffectiveDate                      string      `json:"effectiveDate,omitempty"`
	RequiredPolicies                   []Policy    `json:"requiredPolicies,omitempty"`

	// Price is the flat fee per billing period, a decimal string; empty
	// means no flat fee.
	Price  string  `json:"-"`
	Meters []Meter `json:"-"`
	// Installations, when set, makes the plan a private offer: only these
	// installations see it.
	Installations []string `json:"-"`
	// PrepaidExhausted says what becomes of a prepayment plan's usage
	// beyond the balance: "bill" (default: invoiced after the period as
	// ordinary usage) or "suspend" (not invoiced; the resource is to be
	// suspended). The balance never goes below zero either way.
	PrepaidExhausted string `json:"-"`
}

// PlanDetail is one label/value line of a plan.
type PlanDetail struct {
	Label string `json:"label"`
	Value string `json:"value,omitempty"`
}

// QuoteLine is one line of a plan's quote.
type QuoteLine struct {
	Line   string `json:"line"`
	Amount string `json:"amount"`
}

// Policy is a policy the customer must accept to choose a plan.
type Policy struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	URL  string `json:"url"`
}

// Meter types: how a period's usage records combine.
const (
	MeterTotal    = "total"    // the latest value
	MeterInterval = "interval" // the sum
	MeterRate     = "rate"     // the maximum
)

// Meter is one billed usage dimension of a plan; usage records name it.
type Meter struct {
	Name  string `json:"name"`
	Units string `json:"units"`
	Type  string `json:"type"`
	// Price is per unit, a decimal string.
	Price string `json:"price"`
	// Included is the free units per period, a decimal string ("" is 0).
	Included string `json:"included,omitempty"`
}

// Plan scopes.
const (
	ScopeResource     = "resource"
	ScopeInstallation = "installation"
)

// Free reports whether the plan never bills (paymentMethodRequired false).
func (p BillingPlan) Free() bool {
	return p.PaymentMethodRequired != nil && !*p.PaymentMethodRequired
}

// InstallationScoped reports whether the plan bills the installation rather
// than one resource; an unset scope means resource, as Vercel assumes.
func (p BillingPlan) InstallationScoped() bool { return p.Scope == ScopeInstallation }

// VisibleTo reports whether an installation may see the plan: a private
// offer only to its installations, any other plan to everyone, including a
// caller that has no installation yet ("").
func (p BillingPlan) VisibleTo(installationID string) bool {
	return len(p.Installations) == 0 || (installationID != "" && slices.Contains(p.Installations, installationID))
}

// Meter returns the plan's meter with this name.
func (p BillingPlan) Meter(name string) (Meter, bool) {
	for _, m := range p.Meters {
		if m.Name == name {
			return m, true
		}
	}
	return Meter{}, false
}

// Catalog finds plans by id across products.
type Catalog []Product

// Product returns the product with this id.
func (c Catalog) Product(id string) (Product, bool) {
	for _, p := range c {
		if p.ID == id {
			return p, true
		}
	}
	return Product{}, false
}

// Plan returns the plan with this id, if any product offers it, whatever its
// visibility: for looking up the plan something is already on.
func (c Catalog) Plan(id string) (BillingPlan, bool) {
	_, pl, ok := c.find(id)
	return pl, ok
}

// ProductOfPlan returns the product offering the plan with this id.
func (c Catalog) ProductOfPlan(planID string) (Product, bool) {
	p, _, ok := c.find(planID)
	return p, ok
}

func (c Catalog) find(planID string) (Product, BillingPlan, bool) {
	for _, p := range c {
		for _, pl := range p.Plans {
			if pl.ID == planID {
				return p, pl, true
			}
		}
	}
	return Product{}, BillingPlan{}, false
}

// PlansFor lists the resource plans of a product that an installation may
// see ("" for a caller with no installation yet: public plans only); false
// when the product is unknown. Disabled plans are listed, since Vercel
// shows them greyed out; the caller refuses them as a new choice.
// Installation-scoped plans are left to InstallationPlans.
func (c Catalog) PlansFor(productID, installationID string) ([]BillingPlan, bool) {
	p, ok := c.Product(productID)
	if !ok {
		return nil, false
	}
	plans := []BillingPlan{}
	for _, pl := range p.Plans {
		if !pl.InstallationScoped() && pl.VisibleTo(installationID) {
			plans = append(plans, pl)
		}
	}
	return plans, true
}

// PlanFor returns a resource plan of the product visible to the
// installation. Disabled plans are returned too; Disabled tells the caller.
func (c Catalog) PlanFor(productID, planID, installationID string) (BillingPlan, bool) {
	plans, _ := c.PlansFor(productID, installationID)
	for _, pl := range plans {
		if pl.ID == planID {
			return pl, true
		}
	}
	return BillingPlan{}, false
}

// InstallationPlans lists the installation-scoped plans of every product
// that the installation may see, disabled ones included.
func (c Catalog) InstallationPlans(installationID string) []BillingPlan {
	plans := []BillingPlan{}
	for _, p := range c {
		for _, pl := range p.Plans {
			if pl.InstallationScoped() && pl.VisibleTo(installationID) {
				plans = append(plans, pl)
			}
		}
	}
	return plans
}

// InstallationPlanFor returns the installation-scoped plan with this id if
// the installation may see it.
func (c Catalog) InstallationPlanFor(planID, installationID string) (BillingPlan, bool) {
	for _, pl := range c.InstallationPlans(installationID) {
		if pl.ID == planID {
			return pl, true
		}
	}
	return BillingPlan{}, false
}
