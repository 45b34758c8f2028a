package installations

// Product is one entry of the catalog served to Vercel: our product and the
// billing plans it offers.
type Product struct {
	ID    string        `yaml:"id" json:"id"`
	Name  string        `yaml:"name" json:"name"`
	Plans []BillingPlan `yaml:"plans" json:"plans"`
	// SecretNames are the environment variables a resource of this product
	// provides; the dashboard's rotation issues new values for them.
	SecretNames []string `yaml:"secret_names" json:"-"`
}

// BillingPlan is Vercel's BillingPlan shape (vercel-api.md 6.5), as we serve it.
type BillingPlan struct {
	ID                    string       `yaml:"id" json:"id"`
	Type                  string       `yaml:"type" json:"type"`
	Name                  string       `yaml:"name" json:"name"`
	Description           string       `yaml:"description" json:"description"`
	Scope                 string       `yaml:"scope,omitempty" json:"scope,omitempty"`
	PaymentMethodRequired *bool        `yaml:"payment_method_required,omitempty" json:"paymentMethodRequired,omitempty"`
	Cost                  string       `yaml:"cost,omitempty" json:"cost,omitempty"`
	Details               []PlanDetail `yaml:"details,omitempty" json:"details,omitempty"`
	HighlightedDetails    []PlanDetail `yaml:"highlighted_details,omitempty" json:"highlightedDetails,omitempty"`
	Disabled              bool         `yaml:"disabled,omitempty" json:"disabled,omitempty"`
}

// PlanDetail is one label/value line of a plan.
type PlanDetail struct {
	Label string `yaml:"label" json:"label"`
	Value string `yaml:"value,omitempty" json:"value,omitempty"`
}

// Free reports whether the plan never bills (paymentMethodRequired false).
func (p BillingPlan) Free() bool {
	return p.PaymentMethodRequired != nil && !*p.PaymentMethodRequired
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

// Plan returns the plan with this id, if any product offers it.
func (c Catalog) Plan(id string) (BillingPlan, bool) {
	for _, p := range c {
		for _, pl := range p.Plans {
			if pl.ID == id {
				return pl, true
			}
		}
	}
	return BillingPlan{}, false
}
