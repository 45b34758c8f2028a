package installations

import "encoding/json"

// MetadataSchema is a product's metadata schema as Vercel knows it: a JSON
// Schema object whose properties are the inputs Vercel shows when a
// resource is created. Its keys are JSON Schema's own (minLength, ui:control)
// in YAML as in JSON, so the same text serves both.
type MetadataSchema struct {
	Type       string                      `yaml:"type" json:"type"`
	Properties map[string]MetadataProperty `yaml:"properties" json:"properties"`
	Required   []string                    `yaml:"required,omitempty" json:"required,omitempty"`
}

// MetadataProperty is one input of a metadata schema. The validation
// keywords are enforced by ValidateMetadata; the ui: keys only matter to
// Vercel's form and are passed through.
type MetadataProperty struct {
	Type        string      `yaml:"type" json:"type"`
	Description string      `yaml:"description,omitempty" json:"description,omitempty"`
	Default     Value       `yaml:"default,omitempty" json:"default,omitempty"`
	Enum        []Value     `yaml:"enum,omitempty" json:"enum,omitempty"`
	Minimum     json.Number `yaml:"minimum,omitempty" json:"minimum,omitempty"`
	Maximum     json.Number `yaml:"maximum,omitempty" json:"maximum,omitempty"`
	MinLength   json.Number `yaml:"minLength,omitempty" json:"minLength,omitempty"`
	MaxLength   json.Number `yaml:"maxLength,omitempty" json:"maxLength,omitempty"`
	Pattern     string      `yaml:"pattern,omitempty" json:"pattern,omitempty"`
	// Items constrains each element of an array property (multi-select,
	// multi-vercel-region, slider).
	Items *MetadataProperty `yaml:"items,omitempty" json:"items,omitempty"`

	UIControl     string     `yaml:"ui:control,omitempty" json:"ui:control,omitempty"`
	UILabel       string     `yaml:"ui:label,omitempty" json:"ui:label,omitempty"`
	UIDescription string     `yaml:"ui:description,omitempty" json:"ui:description,omitempty"`
	UIPlaceholder string     `yaml:"ui:placeholder,omitempty" json:"ui:placeholder,omitempty"`
	UIOptions     []UIOption `yaml:"ui:options,omitempty" json:"ui:options,omitempty"`
	// UIHidden, UIReadOnly and UIDisabled are a bool, "create", "update"
	// or an expression object: kept as given.
	UIHidden   Value `yaml:"ui:hidden,omitempty" json:"ui:hidden,omitempty"`
	UIReadOnly Value `yaml:"ui:read-only,omitempty" json:"ui:read-only,omitempty"`
	UIDisabled Value `yaml:"ui:disabled,omitempty" json:"ui:disabled,omitempty"`
	UISteps    Value `yaml:"ui:steps,omitempty" json:"ui:steps,omitempty"`
}

// UIOption is one choice of a select input.
type UIOption struct {
	Label  string `yaml:"label" json:"label"`
	Value  Value  `yaml:"value" json:"value"`
	Hidden bool   `yaml:"hidden,omitempty" json:"hidden,omitempty"`
}

// Property types a metadata schema may use.
const (
	TypeString  = "string"
	TypeNumber  = "number"
	TypeInteger = "integer"
	TypeBoolean = "boolean"
	TypeArray   = "array"
)
