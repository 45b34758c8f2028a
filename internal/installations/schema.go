package installations

import "encoding/json"

// MetadataSchema is a product's metadata schema as Vercel knows it: a JSON
// Schema object whose properties are the inputs Vercel shows when a
// resource is created, with JSON Schema's own keys (minLength, ui:control).
type MetadataSchema struct {
	Type       string                      `json:"type"`
	Properties map[string]MetadataProperty `json:"properties"`
	Required   []string                    `json:"required,omitempty"`
}

// MetadataProperty is one input of a metadata schema. The validation
// keywords are enforced by ValidateMetadata; the ui: keys only matter to
// Vercel's form and are passed through.
type MetadataProperty struct {
	Type        string      `json:"type"`
	Description string      `json:"description,omitempty"`
	Default     Value       `json:"default,omitempty"`
	Enum        []Value     `json:"enum,omitempty"`
	Minimum     json.Number `json:"minimum,omitempty"`
	Maximum     json.Number `json:"maximum,omitempty"`
	MinLength   json.Number `json:"minLength,omitempty"`
	MaxLength   json.Number `json:"maxLength,omitempty"`
	Pattern     string      `json:"pattern,omitempty"`
	// Items constrains each element of an array property (multi-select,
	// multi-vercel-region, slider).
	Items *MetadataProperty `json:"items,omitempty"`

	UIControl     string     `json:"ui:control,omitempty"`
	UILabel       string     `json:"ui:label,omitempty"`
	UIDescription string     `json:"ui:description,omitempty"`
	UIPlaceholder string     `json:"ui:placeholder,omitempty"`
	UIOptions     []UIOption `json:"ui:options,omitempty"`
	// UIHidden, UIReadOnly and UIDisabled are a bool, "create", "update"
	// or an expression object: kept as given.
	UIHidden   Value `json:"ui:hidden,omitempty"`
	UIReadOnly Value `json:"ui:read-only,omitempty"`
	UIDisabled Value `json:"ui:disabled,omitempty"`
	UISteps    Value `json:"ui:steps,omitempty"`
}

// UIOption is one choice of a select input.
type UIOption struct {
	Label  string `json:"label"`
	Value  Value  `json:"value"`
	Hidden bool   `json:"hidden,omitempty"`
}

// Property types a metadata schema may use.
const (
	TypeString  = "string"
	TypeNumber  = "number"
	TypeInteger = "integer"
	TypeBoolean = "boolean"
	TypeArray   = "array"
)
