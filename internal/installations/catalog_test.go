package installations

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
)

// goodCatalog is a valid catalog, fresh for each caller to change.
func goodCatalog() Catalog {
	no := false
	return Catalog{{
		ID: "redis", Name: "Redis", SecretNames: []string{"REDIS_URL"},
		MetadataSchema: &MetadataSchema{Type: "object", Required: []string{"region"}, Properties: map[string]MetadataProperty{
			"region": {Type: TypeString, Enum: []Value{Value(`"iad1"`), Value(`"fra1"`)}},
			"size":   {Type: TypeNumber, Minimum: "1", Maximum: "1000"},
		}},
		Plans: []BillingPlan{
			{ID: "free", Type: "subscription", Name: "Free", Description: "Free plan", PaymentMethodRequired: &no},
			{ID: "pro", Type: "subscription", Name: "Pro", Description: "Pro plan", Price: "20.00", Meters: []Meter{
				{Name: "storage", Units: "GB", Type: MeterTotal, Price: "0.10", Included: "10"},
				{Name: "queries", Units: "1k queries", Type: MeterInterval, Price: "0.02"},
			}},
		},
	}}
}

func TestValidateNamesEachMistake(t *testing.T) {
	t.Parallel()
	if got := goodCatalog().Validate(); len(got) != 0 {
		t.Fatalf("good catalog: %q", got)
	}
	const pro = "products[0] (redis).plans[1] (pro)"
	const schema = "products[0] (redis).metadata_schema"
	tests := []struct {
		name   string
		mutate func(c Catalog)
		want   string
	}{
		{"product id", func(c Catalog) { c[0].ID = "" }, "products[0].id: is required"},
		{"product name", func(c Catalog) { c[0].Name = "" }, "products[0] (redis).name: is required"},
		{"secret name", func(c Catalog) { c[0].SecretNames = []string{"1BAD"} }, `products[0] (redis).secret_names[0]: "1BAD" is not an environment variable name`},
		{"duplicate secret", func(c Catalog) { c[0].SecretNames = []string{"A", "A"} }, `products[0] (redis).secret_names[1]: duplicate "A"`},
		{"plan id", func(c Catalog) { c[0].Plans[1].ID = "" }, "products[0] (redis).plans[1].id: is required"},
		{"duplicate plan id", func(c Catalog) { c[0].Plans[1].ID = "free" }, "products[0] (redis).plans[1] (free).id: duplicate plan id (also products[0].plans[0])"},
		{"plan type", func(c Catalog) { c[0].Plans[1].Type = "monthly" }, pro + ".type: must be subscription or prepayment"},
		{"plan name", func(c Catalog) { c[0].Plans[1].Name = "" }, pro + ".name: is required"},
		{"plan description", func(c Catalog) { c[0].Plans[1].Description = "" }, pro + ".description: is required"},
		{"scope", func(c Catalog) { c[0].Plans[1].Scope = "team" }, pro + ".scope: must be resource or installation"},
		{"price", func(c Catalog) { c[0].Plans[1].Price = "$20" }, pro + `.price: "$20" is not a decimal such as 20.00`},
		{"negative price", func(c Catalog) { c[0].Plans[1].Price = "-1" }, pro + `.price: "-1" is not a decimal such as 20.00`},
		{"preauthorization", func(c Catalog) { c[0].Plans[1].PreauthorizationAmount = "1e3" }, pro + `.preauthorization_amount: "1e3" is not a decimal such as 20.00`},
		{"quote", func(c Catalog) { c[0].Plans[1].Quote = []QuoteLine{{Line: "x"}} }, pro + ".quote[0].amount: is required"},
		{"free with price", func(c Catalog) { c[0].Plans[0].Price = "1.00" }, "products[0] (redis).plans[0] (free): a free plan (payment_method_required: false) cannot have a price or meters"},
		{"meter name", func(c Catalog) { c[0].Plans[1].Meters[1].Name = "" }, pro + ".meters[1].name: is required"},
		{"duplicate meter", func(c Catalog) { c[0].Plans[1].Meters[1].Name = "storage" }, pro + `.meters[1].name: duplicate meter "storage"`},
		{"meter units", func(c Catalog) { c[0].Plans[1].Meters[0].Units = "" }, pro + ".meters[0].units: is required"},
		{"meter type", func(c Catalog) { c[0].Plans[1].Meters[1].Type = "sum" }, pro + ".meters[1].type: must be total, interval or rate"},
		{"meter price", func(c Catalog) { c[0].Plans[1].Meters[0].Price = "0,10" }, pro + `.meters[0].price: "0,10" is not a decimal such as 20.00`},
		{"meter price missing", func(c Catalog) { c[0].Plans[1].Meters[0].Price = "" }, pro + ".meters[0].price: is required"},
		{"included negative", func(c Catalog) { c[0].Plans[1].Meters[0].Included = "-5" }, pro + `.meters[0].included: "-5" is not a non-negative decimal`},
		{"prepaid_exhausted value", func(c Catalog) { c[0].Plans[1].Type, c[0].Plans[1].PrepaidExhausted = "prepayment", "stop" }, pro + ".prepaid_exhausted: must be bill or suspend"},
		{"prepaid_exhausted on a subscription", func(c Catalog) { c[0].Plans[1].PrepaidExhausted = "suspend" }, pro + ".prepaid_exhausted: only a prepayment plan has a balance to exhaust"},
		{"empty installation", func(c Catalog) { c[0].Plans[1].Installations = []string{""} }, pro + ".installations[0]: must not be empty"},
		{"effective date", func(c Catalog) { c[0].Plans[1].EffectiveDate = "tomorrow" }, pro + `.effective_date: "tomorrow" is not an RFC 3339 time`},
		{"policy url", func(c Catalog) { c[0].Plans[1].RequiredPolicies = []Policy{{ID: "toc", Name: "Terms", URL: "ftp://x"}} }, pro + `.required_policies[0].url: "ftp://x" is not an http(s) URL`},
		{"detail label", func(c Catalog) { c[0].Plans[1].Details = []PlanDetail{{Value: "x"}} }, pro + ".details[0].label: is required"},
		{"schema type", func(c Catalog) { c[0].MetadataSchema.Type = "array" }, schema + ".type: must be object"},
		{"property type", func(c Catalog) { setProp(c, "size", MetadataProperty{Type: "float"}) }, schema + ".properties.size.type: must be string, number, integer, boolean or array"},
		{"enum type", func(c Catalog) {
			setProp(c, "region", MetadataProperty{Type: "string", Enum: []Value{Value(`"iad1"`), Value(`3`)}})
		}, schema + ".properties.region.enum[1]: 3 must be a string"},
		{"integer enum", func(c Catalog) { setProp(c, "size", MetadataProperty{Type: "integer", Enum: []Value{Value(`1.5`)}}) }, schema + ".properties.size.enum[0]: 1.5 must be an integer"},
		{"min over max", func(c Catalog) { setProp(c, "size", MetadataProperty{Type: "number", Minimum: "10", Maximum: "9.99"}) }, schema + ".properties.size: minimum is greater than maximum"},
		{"bad minimum", func(c Catalog) { setProp(c, "size", MetadataProperty{Type: "number", Minimum: "abc"}) }, schema + `.properties.size.minimum: "abc" is not a number`},
		{"minimum on string", func(c Catalog) { setProp(c, "region", MetadataProperty{Type: "string", Minimum: "1"}) }, schema + ".properties.region: minimum and maximum are for number and integer properties"},
		{"minLength over maxLength", func(c Catalog) {
			setProp(c, "region", MetadataProperty{Type: "string", MinLength: "5", MaxLength: "4"})
		}, schema + ".properties.region: minLength is greater than maxLength"},
		{"fractional minLength", func(c Catalog) { setProp(c, "region", MetadataProperty{Type: "string", MinLength: "2.5"}) }, schema + ".properties.region.minLength: must be a non-negative integer"},
		{"pattern", func(c Catalog) { setProp(c, "region", MetadataProperty{Type: "string", Pattern: "([a-z"}) }, schema + ".properties.region.pattern: does not compile"},
		{"default out of range", func(c Catalog) {
			setProp(c, "size", MetadataProperty{Type: "number", Maximum: "5", Default: Value(`6`)})
		}, schema + ".properties.size.default: must be at most 5"},
		{"option value", func(c Catalog) {
			setProp(c, "region", MetadataProperty{Type: "string", UIOptions: []UIOption{{Label: "A", Value: Value(`true`)}}})
		}, schema + ".properties.region.ui:options[0].value: must be a string"},
		{"array enum", func(c Catalog) { setProp(c, "tags", MetadataProperty{Type: "array", Enum: []Value{Value(`"a"`)}}) }, schema + ".properties.tags.enum: not for arrays (put it under items)"},
		{"array items", func(c Catalog) {
			setProp(c, "tags", MetadataProperty{Type: "array", Items: &MetadataProperty{Type: "object"}})
		}, schema + ".properties.tags.items.type: must be string, number, integer, boolean or array"},
		{"required unknown", func(c Catalog) { c[0].MetadataSchema.Required = []string{"region", "zone"} }, schema + `.required[1]: "zone" is not a property`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := goodCatalog()
			tt.mutate(c)
			got := c.Validate()
			if len(got) != 1 || got[0] != tt.want {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func setProp(c Catalog, key string, p MetadataProperty) { c[0].MetadataSchema.Properties[key] = p }

func TestValidateDuplicateProductAndPlanAcrossProducts(t *testing.T) {
	t.Parallel()
	c := goodCatalog()
	c = append(c, c[0])
	got := c.Validate()
	want := []string{
		"products[1] (redis).id: duplicate product id",
		"products[1] (redis).plans[0] (free).id: duplicate plan id (also products[0].plans[0])",
		"products[1] (redis).plans[1] (pro).id: duplicate plan id (also products[0].plans[1])",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q", got)
	}
}

func TestPlanJSONLeavesOutOurBillingFields(t *testing.T) {
	t.Parallel()
	c := goodCatalog()
	pl, _ := c.Plan("pro")
	pl.Installations = []string{"icfg_secret_offer"}
	pl.PreauthorizationAmount = "10.53"
	pl.MaximumAmount = "500.00"
	b, err := json.Marshal(pl)
	if err != nil {
		t.Fatal(err)
	}
	for _, leaked := range []string{"price", "meters", "Meters", "installations", "icfg_secret_offer", "storage", "0.10"} {
		if bytes.Contains(b, []byte(leaked)) {
			t.Errorf("plan JSON contains %q: %s", leaked, b)
		}
	}
	for _, want := range []string{`"preauthorizationAmount":10.53`, `"maximumAmount":"500.00"`, `"id":"pro"`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("plan JSON lacks %s: %s", want, b)
		}
	}
}
