package config

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/vercel-partner/partner-server/internal/installations"
)

func exampleCatalog(t *testing.T) installations.Catalog {
	t.Helper()
	c, err := Load("../../config.example.yaml", env(map[string]string{
		"PARTNER_ENCRYPTION_KEY": testKey, "PARTNER_VERCEL_CLIENT_SECRET": "x",
	}))
	if err != nil {
		t.Fatal(err)
	}
	return c.Catalog()
}

func TestExampleCatalogConvertsWithItsPricesAndSchema(t *testing.T) {
	t.Parallel()
	c := exampleCatalog(t)
	pro, ok := c.Plan("pro200")
	if !ok || pro.Price != "20.00" || len(pro.Meters) != 2 || pro.Meters[0].Included != "10" {
		t.Fatalf("pro200 = %+v", pro)
	}
	if pl, ok := c.Plan("hobby"); !ok || !pl.Free() {
		t.Errorf("hobby = %+v, %v", pl, ok)
	}
	if pl, _ := c.Plan("credits"); pl.PreauthorizationAmount != "10.00" || pl.MaximumAmountAutoPurchasePerPeriod != "100.00" {
		t.Errorf("credits = %+v", pl)
	}
	if p, _ := c.Product("postgres"); p.MetadataSchema.Properties["storageGb"].Maximum != "1000" || len(p.SecretNames) != 2 {
		t.Errorf("postgres = %+v", p)
	}
}

func TestSchemaJSONKeepsUIKeysAndExactNumbers(t *testing.T) {
	t.Parallel()
	p, _ := exampleCatalog(t).Product("postgres")
	b, err := json.Marshal(p.MetadataSchema)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"ui:control":"select"`, `"ui:options":[{"label":"Washington, D.C. (iad1)","value":"iad1"}`, `"maximum":1000`, `"ui:read-only":"update"`, `"enum":["iad1","fra1","sfo1"]`, `"default":10`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("schema JSON lacks %s: %s", want, b)
		}
	}
}

// everyKey sets every catalog key once, so a key the conversion drops
// shows as a zero field of the domain's catalog.
const everyKey = `
products:
  - id: redis
    name: Redis
    secret_names: [REDIS_URL]
    metadata_schema:
      type: object
      required: [tags]
      properties:
        tags:
          type: array
          description: Tags
          default: [a]
          enum: [[a]]
          minimum: 1
          maximum: 2
          minLength: 1
          maxLength: 2
          pattern: ^a$
          items: {type: string}
          ui:control: multi-select
          ui:label: Tags
          ui:description: Some tags
          ui:placeholder: a
          ui:options: [{label: A, value: a, hidden: true}]
          ui:hidden: create
          ui:read-only: update
          ui:disabled: true
          ui:steps: [1]
    plans:
      - id: pro
        type: subscription
        name: Pro
        description: Pro plan
        scope: resource
        payment_method_required: true
        cost: $20
        details: [{label: Storage, value: 10 GB}]
        highlighted_details: [{label: Backups, value: daily}]
        disabled: true
        preauthorization_amount: 10.53
        initial_charge: "1.00"
        minimum_amount: "2.00"
        maximum_amount: "3.00"
        maximum_amount_auto_purchase_per_period: "4.00"
        quote: [{line: Pro, amount: "20.00"}]
        effective_date: 2026-01-01T00:00:00Z
        required_policies: [{id: toc, name: Terms, url: https://partner.example/terms}]
        price: "20.00"
        meters: [{name: storage, units: GB, type: total, price: "0.10", included: 10}]
        installations: [icfg_acme]
        prepaid_exhausted: suspend
`

func TestCatalogConversionKeepsEveryKey(t *testing.T) {
	t.Parallel()
	var c Config
	if err := yaml.Unmarshal([]byte(everyKey), &c); err != nil {
		t.Fatal(err)
	}
	var zero []string
	findZero(reflect.ValueOf(catalogOf(c.Products)), "products", &zero)
	if len(zero) > 0 {
		t.Errorf("lost in conversion: %s", strings.Join(zero, ", "))
	}
	pl, _ := catalogOf(c.Products).Plan("pro")
	if pl.PreauthorizationAmount != "10.53" || pl.Meters[0].Included != "10" || pl.Installations[0] != "icfg_acme" ||
		pl.PrepaidExhausted != "suspend" {
		t.Errorf("plan = %+v", pl)
	}
	b, _ := json.Marshal(catalogOf(c.Products)[0].MetadataSchema.Properties["tags"])
	for _, want := range []string{`"default":["a"]`, `"enum":[["a"]]`, `"ui:options":[{"label":"A","value":"a","hidden":true}]`, `"ui:hidden":"create"`, `"ui:disabled":true`, `"ui:steps":[1]`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("property JSON lacks %s: %s", want, b)
		}
	}
}

// findZero lists the paths of zero fields under v. A property's items are
// the same type as the property: they are only checked for being there.
func findZero(v reflect.Value, at string, zero *[]string) {
	if v.IsZero() {
		*zero = append(*zero, at)
		return
	}
	if strings.HasSuffix(at, ".Items") {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		findZero(v.Elem(), at, zero)
	case reflect.Struct:
		for i := range v.NumField() {
			findZero(v.Field(i), at+"."+v.Type().Field(i).Name, zero)
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Struct {
			for i := range v.Len() {
				findZero(v.Index(i), at, zero)
			}
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			findZero(v.MapIndex(k), at+"."+k.String(), zero)
		}
	}
}

func TestValueFromYAML(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src, want string
		fails     bool
	}{
		{src: `12345678901234567890.000000001`, want: `12345678901234567890.000000001`},
		{src: `"12"`, want: `"12"`},
		{src: `true`, want: `true`},
		{src: `[1, a, {k: null}]`, want: `[1,"a",{"k":null}]`},
		{src: `0x1F`, fails: true},
		{src: `.inf`, fails: true},
		{src: `{1: a}`, fails: true},
	}
	for _, tt := range tests {
		var v JSONValue
		err := yaml.Unmarshal([]byte(tt.src), &v)
		if tt.fails != (err != nil) || (!tt.fails && string(v) != tt.want) {
			t.Errorf("%s: got %s, %v", tt.src, v, err)
		}
	}
}

func TestValueErrorNamesItsLine(t *testing.T) {
	t.Parallel()
	path := writeFile(t, "c.yaml", "products:\n  - id: redis\n    name: Redis\n    metadata_schema:\n      type: object\n      properties:\n        size: {type: number, default: 0x1F}\n")
	_, err := Load(path, env(nil))
	if err == nil || !strings.Contains(err.Error(), `line 7: "0x1F" is not a JSON number`) {
		t.Errorf("want the line named, got %v", err)
	}
}
