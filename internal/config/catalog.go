package config

import (
	"encoding/json"

	"github.com/vercel-partner/partner-server/internal/installations"
)

// The catalog as the configuration writes it: the key names are the YAML
// keys (snake_case for Vercel's BillingPlan fields, JSON Schema's own keys
// in a metadata schema). catalogOf turns it into the domain's catalog,
// which Validate checks.

// Product is one entry under products.
type Product struct {
	ID             string          `yaml:"id"`
	Name           string          `yaml:"name"`
	Plans          []Plan          `yaml:"plans"`
	SecretNames    []string        `yaml:"secret_names"`
	MetadataSchema *MetadataSchema `yaml:"metadata_schema,omitempty"`
}

// Plan is one billing plan of a product.
type Plan struct {
	ID                                 string       `yaml:"id"`
	Type                               string       `yaml:"type"`
	Name                               string       `yaml:"name"`
	Description                        string       `yaml:"description"`
	Scope                              string       `yaml:"scope,omitempty"`
	PaymentMethodRequired              *bool        `yaml:"payment_method_required,omitempty"`
	Cost                               string       `yaml:"cost,omitempty"`
	Details                            []PlanDetail `yaml:"details,omitempty"`
	HighlightedDetails                 []PlanDetail `yaml:"highlighted_details,omitempty"`
	Disabled                           bool         `yaml:"disabled,omitempty"`
	PreauthorizationAmount             json.Number  `yaml:"preauthorization_amount,omitempty"`
	InitialCharge                      string       `yaml:"initial_charge,omitempty"`
	MinimumAmount                      string       `yaml:"minimum_amount,omitempty"`
	MaximumAmount                      string       `yaml:"maximum_amount,omitempty"`
	MaximumAmountAutoPurchasePerPeriod string       `yaml:"maximum_amount_auto_purchase_per_period,omitempty"`
	Quote                              []QuoteLine  `yaml:"quote,omitempty"`
	EffectiveDate                      string       `yaml:"effective_date,omitempty"`
	RequiredPolicies                   []Policy     `yaml:"required_policies,omitempty"`
	Price                              string       `yaml:"price,omitempty"`
	Meters                             []Meter      `yaml:"meters,omitempty"`
	Installations                      []string     `yaml:"installations,omitempty"`
	PrepaidExhausted                   string       `yaml:"prepaid_exhausted,omitempty"`
}

// PlanDetail is one label/value line of a plan.
type PlanDetail struct {
	Label string `yaml:"label"`
	Value string `yaml:"value,omitempty"`
}

// QuoteLine is one line of a plan's quote.
type QuoteLine struct {
	Line   string `yaml:"line"`
	Amount string `yaml:"amount"`
}

// Policy is a policy the customer must accept to choose a plan.
type Policy struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
	URL  string `yaml:"url"`
}

// Meter is one billed usage dimension of a plan.
type Meter struct {
	Name     string `yaml:"name"`
	Units    string `yaml:"units"`
	Type     string `yaml:"type"`
	Price    string `yaml:"price"`
	Included string `yaml:"included,omitempty"`
}

// MetadataSchema is a product's metadata schema, with JSON Schema's keys.
type MetadataSchema struct {
	Type       string                      `yaml:"type"`
	Properties map[string]MetadataProperty `yaml:"properties"`
	Required   []string                    `yaml:"required,omitempty"`
}

// MetadataProperty is one input of a metadata schema.
type MetadataProperty struct {
	Type          string            `yaml:"type"`
	Description   string            `yaml:"description,omitempty"`
	Default       JSONValue         `yaml:"default,omitempty"`
	Enum          []JSONValue       `yaml:"enum,omitempty"`
	Minimum       json.Number       `yaml:"minimum,omitempty"`
	Maximum       json.Number       `yaml:"maximum,omitempty"`
	MinLength     json.Number       `yaml:"minLength,omitempty"`
	MaxLength     json.Number       `yaml:"maxLength,omitempty"`
	Pattern       string            `yaml:"pattern,omitempty"`
	Items         *MetadataProperty `yaml:"items,omitempty"`
	UIControl     string            `yaml:"ui:control,omitempty"`
	UILabel       string            `yaml:"ui:label,omitempty"`
	UIDescription string            `yaml:"ui:description,omitempty"`
	UIPlaceholder string            `yaml:"ui:placeholder,omitempty"`
	UIOptions     []UIOption        `yaml:"ui:options,omitempty"`
	UIHidden      JSONValue         `yaml:"ui:hidden,omitempty"`
	UIReadOnly    JSONValue         `yaml:"ui:read-only,omitempty"`
	UIDisabled    JSONValue         `yaml:"ui:disabled,omitempty"`
	UISteps       JSONValue         `yaml:"ui:steps,omitempty"`
}

// UIOption is one choice of a select input.
type UIOption struct {
	Label  string    `yaml:"label"`
	Value  JSONValue `yaml:"value"`
	Hidden bool      `yaml:"hidden,omitempty"`
}

// catalogOf converts the configured products into the domain's catalog.
func catalogOf(products []Product) installations.Catalog {
	return convert(products, func(p Product) installations.Product {
		return installations.Product{ID: p.ID, Name: p.Name, Plans: plansOf(p.Plans),
			SecretNames: p.SecretNames, MetadataSchema: schemaOf(p.MetadataSchema)}
	})
}

func plansOf(plans []Plan) []installations.BillingPlan {
	return convert(plans, func(p Plan) installations.BillingPlan {
		return installations.BillingPlan{
			ID:                                 p.ID,
			Type:                               p.Type,
			Name:                               p.Name,
			Description:                        p.Description,
			Scope:                              p.Scope,
			PaymentMethodRequired:              p.PaymentMethodRequired,
			Cost:                               p.Cost,
			Details:                            convert(p.Details, detailOf),
			HighlightedDetails:                 convert(p.HighlightedDetails, detailOf),
			Disabled:                           p.Disabled,
			PreauthorizationAmount:             p.PreauthorizationAmount,
			InitialCharge:                      p.InitialCharge,
			MinimumAmount:                      p.MinimumAmount,
			MaximumAmount:                      p.MaximumAmount,
			MaximumAmountAutoPurchasePerPeriod: p.MaximumAmountAutoPurchasePerPeriod,
			Quote:                              convert(p.Quote, func(q QuoteLine) installations.QuoteLine { return installations.QuoteLine(q) }),
			EffectiveDate:                      p.EffectiveDate,
			RequiredPolicies:                   convert(p.RequiredPolicies, func(q Policy) installations.Policy { return installations.Policy(q) }),
			Price:                              p.Price,
			Meters:                             convert(p.Meters, func(m Meter) installations.Meter { return installations.Meter(m) }),
			Installations:                      p.Installations,
			PrepaidExhausted:                   p.PrepaidExhausted,
		}
	})
}

// detailOf, like the Quote, Policy and Meter conversions, relies on the two
// structs having the same fields: a field added to one side alone stops the
// build here.
func detailOf(d PlanDetail) installations.PlanDetail { return installations.PlanDetail(d) }

func schemaOf(s *MetadataSchema) *installations.MetadataSchema {
	if s == nil {
		return nil
	}
	var props map[string]installations.MetadataProperty
	if s.Properties != nil {
		props = make(map[string]installations.MetadataProperty, len(s.Properties))
		for k, p := range s.Properties {
			props[k] = propertyOf(p)
		}
	}
	return &installations.MetadataSchema{Type: s.Type, Properties: props, Required: s.Required}
}

func propertyOf(p MetadataProperty) installations.MetadataProperty {
	out := installations.MetadataProperty{
		Type: p.Type, Description: p.Description, Default: p.Default.value(), Enum: convert(p.Enum, JSONValue.value),
		Minimum: p.Minimum, Maximum: p.Maximum, MinLength: p.MinLength, MaxLength: p.MaxLength, Pattern: p.Pattern,
		UIControl: p.UIControl, UILabel: p.UILabel, UIDescription: p.UIDescription, UIPlaceholder: p.UIPlaceholder,
		UIOptions: convert(p.UIOptions, func(o UIOption) installations.UIOption {
			return installations.UIOption{Label: o.Label, Value: o.Value.value(), Hidden: o.Hidden}
		}),
		UIHidden: p.UIHidden.value(), UIReadOnly: p.UIReadOnly.value(), UIDisabled: p.UIDisabled.value(), UISteps: p.UISteps.value(),
	}
	if p.Items != nil {
		items := propertyOf(*p.Items)
		out.Items = &items
	}
	return out
}

// convert maps a list, keeping nil as nil.
func convert[T, U any](in []T, f func(T) U) []U {
	if in == nil {
		return nil
	}
	out := make([]U, len(in))
	for i, x := range in {
		out[i] = f(x)
	}
	return out
}
