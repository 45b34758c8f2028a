package installations

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/vercel-partner/partner-server/internal/apperr"
)

// metadataProduct is a product with a schema of every property type,
// written as Vercel's JSON.
func metadataProduct(t *testing.T) Product {
	t.Helper()
	var p Product
	err := json.Unmarshal([]byte(`{"id":"db","name":"DB","plans":[],"metadataSchema":{"type":"object",
	 "properties":{
	  "region":{"type":"string","enum":["iad1","fra1"]},
	  "storageGb":{"type":"number","minimum":1,"maximum":1000,"default":10},
	  "replicas":{"type":"integer","enum":[1,3]},
	  "name":{"type":"string","minLength":3,"maxLength":5,"pattern":"^[a-z]+$"},
	  "backups":{"type":"boolean"},
	  "regions":{"type":"array","items":{"type":"string","enum":["iad1","fra1"]}}},
	 "required":["region"]}}`), &p)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestValidateMetadata(t *testing.T) {
	t.Parallel()
	p := metadataProduct(t)
	if lines := (Catalog{p}).Validate(); len(lines) != 0 {
		t.Fatalf("schema: %q", lines)
	}
	tests := []struct {
		name string
		raw  string
		want []apperr.Field
	}{
		{"valid", `{"region":"iad1","storageGb":1000,"replicas":3,"name":"abc","backups":true,"regions":["fra1"]}`, nil},
		{"exact maximum with zeros", `{"region":"iad1","storageGb":1000.0000000}`, nil},
		{"exponent", `{"region":"iad1","storageGb":1e3}`, nil},
		{"integer written 3.0", `{"region":"iad1","replicas":3.0}`, nil},
		{"null is absent", `{"region":"iad1","name":null}`, nil},
		{"above maximum by a hair", `{"region":"iad1","storageGb":1000.0000001}`, []apperr.Field{{Key: "metadata.storageGb", Message: "must be at most 1000"}}},
		{"below minimum", `{"region":"iad1","storageGb":0.99999999999999999999}`, []apperr.Field{{Key: "metadata.storageGb", Message: "must be at least 1"}}},
		{"huge exponent", `{"region":"iad1","storageGb":1e999999999}`, []apperr.Field{{Key: "metadata.storageGb", Message: "is not a usable number"}}},
		{"unknown key", `{"region":"iad1","zone":"a"}`, []apperr.Field{{Key: "metadata.zone", Message: "is not a metadata key of this product"}}},
		{"required missing", `{}`, []apperr.Field{{Key: "metadata.region", Message: "is required"}}},
		{"absent metadata", ``, []apperr.Field{{Key: "metadata.region", Message: "is required"}}},
		{"wrong type string", `{"region":1}`, []apperr.Field{{Key: "metadata.region", Message: "must be a string"}}},
		{"wrong type number", `{"region":"iad1","storageGb":"10"}`, []apperr.Field{{Key: "metadata.storageGb", Message: "must be a number"}}},
		{"not an integer", `{"region":"iad1","replicas":1.5}`, []apperr.Field{{Key: "metadata.replicas", Message: "must be an integer"}}},
		{"wrong type boolean", `{"region":"iad1","backups":"yes"}`, []apperr.Field{{Key: "metadata.backups", Message: "must be a boolean"}}},
		{"wrong type array", `{"region":"iad1","regions":"iad1"}`, []apperr.Field{{Key: "metadata.regions", Message: "must be an array"}}},
		{"not in enum", `{"region":"iad9"}`, []apperr.Field{{Key: "metadata.region", Message: `must be one of "iad1", "fra1"`}}},
		{"integer not in enum", `{"region":"iad1","replicas":2}`, []apperr.Field{{Key: "metadata.replicas", Message: "must be one of 1, 3"}}},
		{"array item", `{"region":"iad1","regions":["iad1","sfo1"]}`, []apperr.Field{{Key: "metadata.regions", Message: `item 1: must be one of "iad1", "fra1"`}}},
		{"too short", `{"region":"iad1","name":"ab"}`, []apperr.Field{{Key: "metadata.name", Message: "must be at least 3 characters"}}},
		{"too long", `{"region":"iad1","name":"abcdef"}`, []apperr.Field{{Key: "metadata.name", Message: "must be at most 5 characters"}}},
		{"length counts characters", `{"region":"iad1","name":"ééé"}`, []apperr.Field{{Key: "metadata.name", Message: "must match ^[a-z]+$"}}},
		{"pattern", `{"region":"iad1","name":"ab-c"}`, []apperr.Field{{Key: "metadata.name", Message: "must match ^[a-z]+$"}}},
		{"several at once", `{"zone":1,"name":"x"}`, []apperr.Field{
			{Key: "metadata.zone", Message: "is not a metadata key of this product"},
			{Key: "metadata.name", Message: "must be at least 3 characters"},
			{Key: "metadata.region", Message: "is required"},
		}},
		{"array is not an object", `["iad1"]`, []apperr.Field{{Key: "metadata", Message: "must be a JSON object"}}},
		{"null is not an object", `null`, []apperr.Field{{Key: "metadata", Message: "must be a JSON object"}}},
		{"trailing data", `{"region":"iad1"} {}`, []apperr.Field{{Key: "metadata", Message: "must be a JSON object"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := p.ValidateMetadata(json.RawMessage(tt.raw))
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestValidateMetadataWithoutSchemaTakesAnyObject(t *testing.T) {
	t.Parallel()
	p := Product{ID: "x", Name: "X"}
	if got := p.ValidateMetadata(json.RawMessage(`{"anything":[1]}`)); got != nil {
		t.Errorf("got %+v", got)
	}
	if got := p.ValidateMetadata(json.RawMessage(`"str"`)); len(got) != 1 || got[0].Key != "metadata" {
		t.Errorf("got %+v", got)
	}
}

func TestApplyDefaults(t *testing.T) {
	t.Parallel()
	p := metadataProduct(t)
	tests := []struct{ raw, want string }{
		{`{"region":"iad1"}`, `{"region":"iad1","storageGb":10}`},
		{`{"region":"iad1","storageGb":12.50}`, `{"region":"iad1","storageGb":12.50}`},
		{`{"storageGb":null}`, `{"storageGb":10}`},
		{``, `{"storageGb":10}`},
	}
	for _, tt := range tests {
		got, err := p.ApplyDefaults(json.RawMessage(tt.raw))
		if err != nil || string(got) != tt.want {
			t.Errorf("%s: got %s, %v", tt.raw, got, err)
		}
	}
	if _, err := p.ApplyDefaults(json.RawMessage(`[]`)); err == nil {
		t.Error("want an error for an array")
	}
}

func TestParseMetadataQuery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		want  map[string]any
		fails bool
	}{
		{in: ``, want: map[string]any{}},
		{in: `{}`, want: map[string]any{}},
		{in: `{"region":"fra1","storageGb":10.5}`, want: map[string]any{"region": "fra1", "storageGb": json.Number("10.5")}},
		{in: `[]`, fails: true},
		{in: `"fra1"`, fails: true},
		{in: `null`, fails: true},
		{in: `{"a":`, fails: true},
		{in: `{} x`, fails: true},
		{in: `{"a":"` + strings.Repeat("x", MaxMetadataQuery) + `"}`, fails: true},
	}
	for _, tt := range tests {
		got, err := ParseMetadataQuery(tt.in)
		if tt.fails != (err != nil) {
			t.Errorf("%.40s: err %v", tt.in, err)
			continue
		}
		if !tt.fails && !mapsEqual(got, tt.want) {
			t.Errorf("%.40s: got %v", tt.in, got)
		}
	}
}

func mapsEqual(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
