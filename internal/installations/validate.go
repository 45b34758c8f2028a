package installations

import (
	"fmt"
	"net/url"
	"regexp"
	"time"
)

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// problems collects one line per catalog mistake.
type problems []string

func (p *problems) add(prefix, format string, args ...any) {
	*p = append(*p, prefix+fmt.Sprintf(format, args...))
}

// Validate checks the catalog and returns one line per mistake, each naming
// the product, plan and key, e.g.
// "products[1] (redis).plans[0] (pro).meters[2].type: must be total, interval or rate".
func (c Catalog) Validate() []string {
	var p problems
	productIDs := map[string]bool{}
	planIDs := map[string]string{} // plan id -> where first seen
	for i, pr := range c {
		at := fmt.Sprintf("products[%d]", i)
		if pr.ID == "" {
			p.add(at, ".id: is required")
		} else {
			at += " (" + pr.ID + ")"
			if productIDs[pr.ID] {
				p.add(at, ".id: duplicate product id")
			}
			productIDs[pr.ID] = true
		}
		if pr.Name == "" {
			p.add(at, ".name: is required")
		}
		p.secretNames(at, pr.SecretNames)
		if pr.MetadataSchema != nil {
			p.schema(at+".metadata_schema", pr.MetadataSchema)
		}
		for j, pl := range pr.Plans {
			pat := fmt.Sprintf("%s.plans[%d]", at, j)
			if pl.ID != "" {
				pat += " (" + pl.ID + ")"
				if first, dup := planIDs[pl.ID]; dup {
					p.add(pat, ".id: duplicate plan id (also %s)", first)
				} else {
					planIDs[pl.ID] = fmt.Sprintf("products[%d].plans[%d]", i, j)
				}
			}
			p.plan(pat, pl)
		}
	}
	return p
}

func (p *problems) secretNames(at string, names []string) {
	seen := map[string]bool{}
	for k, n := range names {
		switch {
		case !envNameRE.MatchString(n):
			p.add(at, ".secret_names[%d]: %q is not an environment variable name", k, n)
		case seen[n]:
			p.add(at, ".secret_names[%d]: duplicate %q", k, n)
		}
		seen[n] = true
	}
}

func (p *problems) plan(at string, pl BillingPlan) {
	if pl.ID == "" {
		p.add(at, ".id: is required")
	}
	if pl.Name == "" {
		p.add(at, ".name: is required")
	}
	if pl.Description == "" {
		p.add(at, ".description: is required")
	}
	if pl.Type != "subscription" && pl.Type != "prepayment" {
		p.add(at, ".type: must be subscription or prepayment")
	}
	switch {
	case pl.PrepaidExhausted != "" && pl.PrepaidExhausted != "bill" && pl.PrepaidExhausted != "suspend":
		p.add(at, ".prepaid_exhausted: must be bill or suspend")
	case pl.PrepaidExhausted != "" && pl.Type != "prepayment":
		p.add(at, ".prepaid_exhausted: only a prepayment plan has a balance to exhaust")
	}
	if pl.Scope != "" && pl.Scope != ScopeResource && pl.Scope != ScopeInstallation {
		p.add(at, ".scope: must be resource or installation")
	}
	p.amounts(at, pl)
	p.meters(at, pl.Meters)
	if pl.Free() && (pl.Price != "" || len(pl.Meters) > 0) {
		p.add(at, ": a free plan (payment_method_required: false) cannot have a price or meters")
	}
	for k, id := range pl.Installations {
		if id == "" {
			p.add(at, ".installations[%d]: must not be empty", k)
		}
	}
	p.details(at+".details", pl.Details)
	p.details(at+".highlighted_details", pl.HighlightedDetails)
	p.policies(at, pl.RequiredPolicies)
	if pl.EffectiveDate != "" {
		if _, err := time.Parse(time.RFC3339, pl.EffectiveDate); err != nil {
			p.add(at, ".effective_date: %q is not an RFC 3339 time", pl.EffectiveDate)
		}
	}
}

func (p *problems) decimal(at, key, v string) {
	if v != "" && !IsDecimal(v) {
		p.add(at, ".%s: %q is not a decimal such as 20.00", key, v)
	}
}

func (p *problems) amounts(at string, pl BillingPlan) {
	p.decimal(at, "price", pl.Price)
	p.decimal(at, "preauthorization_amount", string(pl.PreauthorizationAmount))
	p.decimal(at, "initial_charge", pl.InitialCharge)
	p.decimal(at, "minimum_amount", pl.MinimumAmount)
	p.decimal(at, "maximum_amount", pl.MaximumAmount)
	p.decimal(at, "maximum_amount_auto_purchase_per_period", pl.MaximumAmountAutoPurchasePerPeriod)
	for k, q := range pl.Quote {
		if q.Line == "" {
			p.add(at, ".quote[%d].line: is required", k)
		}
		if q.Amount == "" {
			p.add(at, ".quote[%d].amount: is required", k)
		}
		p.decimal(at, fmt.Sprintf("quote[%d].amount", k), q.Amount)
	}
}

func (p *problems) meters(at string, meters []Meter) {
	seen := map[string]bool{}
	for k, m := range meters {
		mat := fmt.Sprintf("%s.meters[%d]", at, k)
		switch {
		case m.Name == "":
			p.add(mat, ".name: is required")
		case seen[m.Name]:
			p.add(mat, ".name: duplicate meter %q", m.Name)
		}
		seen[m.Name] = true
		if m.Units == "" {
			p.add(mat, ".units: is required")
		}
		if m.Type != MeterTotal && m.Type != MeterInterval && m.Type != MeterRate {
			p.add(mat, ".type: must be total, interval or rate")
		}
		if m.Price == "" {
			p.add(mat, ".price: is required")
		}
		p.decimal(mat, "price", m.Price)
		if m.Included != "" && !IsDecimal(m.Included) {
			p.add(mat, ".included: %q is not a non-negative decimal", m.Included)
		}
	}
}

func (p *problems) details(at string, ds []PlanDetail) {
	for k, d := range ds {
		if d.Label == "" {
			p.add(at, "[%d].label: is required", k)
		}
	}
}

func (p *problems) policies(at string, ps []Policy) {
	for k, pol := range ps {
		pat := fmt.Sprintf("%s.required_policies[%d]", at, k)
		if pol.ID == "" || pol.Name == "" {
			p.add(pat, ": id and name are required")
		}
		if u, err := url.Parse(pol.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.add(pat, ".url: %q is not an http(s) URL", pol.URL)
		}
	}
}
