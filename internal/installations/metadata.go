package installations

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/vercel-partner/partner-server/internal/apperr"
)

// MaxMetadataQuery bounds the metadata query parameter of the plans routes.
const MaxMetadataQuery = 8 << 10

// ParseMetadataQuery parses the metadata query parameter of the plans
// routes: a JSON object, at most MaxMetadataQuery bytes. An empty parameter
// is an empty object; anything else that is not an object is an error.
func ParseMetadataQuery(s string) (map[string]any, error) {
	if len(s) > MaxMetadataQuery {
		return nil, fmt.Errorf("metadata: longer than %d bytes", MaxMetadataQuery)
	}
	if strings.TrimSpace(s) == "" {
		return map[string]any{}, nil
	}
	m, err := decodeObject([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	return m, nil
}

var errNotObject = errors.New("must be a JSON object")

// decodeObject decodes one JSON object, numbers as json.Number.
func decodeObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, errNotObject
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errNotObject // trailing data after the object
	}
	return m, nil
}

// ValidateMetadata checks a resource's metadata against the product's
// schema and names each bad key as metadata.<key>. Absent metadata counts as
// an empty object, and a null value as an absent key. Without a schema any
// object is accepted.
func (p Product) ValidateMetadata(raw json.RawMessage) []apperr.Field {
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = json.RawMessage("{}")
	}
	m, err := decodeObject(raw)
	if err != nil {
		return []apperr.Field{{Key: "metadata", Message: err.Error()}}
	}
	s := p.MetadataSchema
	if s == nil {
		return nil
	}
	var fields []apperr.Field
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if _, known := s.Properties[k]; !known {
			fields = append(fields, apperr.Field{Key: "metadata." + k, Message: "is not a metadata key of this product"})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(s.Properties)) {
		v, ok := m[k]
		if !ok || v == nil {
			if slices.Contains(s.Required, k) {
				fields = append(fields, apperr.Field{Key: "metadata." + k, Message: "is required"})
			}
			continue
		}
		if msg := s.Properties[k].check(v); msg != "" {
			fields = append(fields, apperr.Field{Key: "metadata." + k, Message: msg})
		}
	}
	return fields
}

// ApplyDefaults fills the schema's defaults into absent (or null) keys of
// a metadata object. Apply it before ValidateMetadata so that a required key
// with a default is satisfied.
func (p Product) ApplyDefaults(raw json.RawMessage) (json.RawMessage, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = json.RawMessage("{}")
	}
	m, err := decodeObject(raw)
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	if p.MetadataSchema == nil {
		return raw, nil
	}
	for k, prop := range p.MetadataSchema.Properties {
		if v, ok := m[k]; (!ok || v == nil) && len(prop.Default) > 0 {
			m[k] = json.RawMessage(prop.Default)
		}
	}
	return json.Marshal(m)
}

// check validates one value against the property and says what is wrong,
// or returns "".
func (prop MetadataProperty) check(v any) string {
	if msg := prop.checkType(v); msg != "" {
		return msg
	}
	if len(prop.Enum) > 0 && !prop.inEnum(v) {
		return "must be one of " + prop.enumList()
	}
	switch t := v.(type) {
	case string:
		return prop.checkString(t)
	case json.Number:
		return prop.checkNumber(t)
	case []any:
		if prop.Items == nil {
			return ""
		}
		for i, item := range t {
			if msg := prop.Items.check(item); msg != "" {
				return fmt.Sprintf("item %d: %s", i, msg)
			}
		}
	}
	return ""
}

func (prop MetadataProperty) checkType(v any) string {
	ok := false
	switch prop.Type {
	case TypeString:
		_, ok = v.(string)
	case TypeNumber:
		_, ok = v.(json.Number)
	case TypeInteger:
		if n, isNum := v.(json.Number); isNum {
			r, parsed := parseNumber(string(n))
			ok = parsed && r.IsInt()
		}
	case TypeBoolean:
		_, ok = v.(bool)
	case TypeArray:
		_, ok = v.([]any)
	}
	if !ok {
		article := "a "
		if prop.Type == TypeInteger || prop.Type == TypeArray {
			article = "an "
		}
		return "must be " + article + prop.Type
	}
	return ""
}

func (prop MetadataProperty) checkString(s string) string {
	n := utf8.RuneCountInString(s)
	if min, ok := parseCount(string(prop.MinLength)); ok && n < min {
		return fmt.Sprintf("must be at least %d characters", min)
	}
	if max, ok := parseCount(string(prop.MaxLength)); ok && n > max {
		return fmt.Sprintf("must be at most %d characters", max)
	}
	if prop.Pattern != "" {
		re, err := regexp.Compile(prop.Pattern)
		if err != nil || !re.MatchString(s) {
			return "must match " + prop.Pattern
		}
	}
	return ""
}

func (prop MetadataProperty) checkNumber(n json.Number) string {
	r, ok := parseNumber(string(n))
	if !ok {
		return "is not a usable number"
	}
	if min, ok := parseNumber(string(prop.Minimum)); ok && r.Cmp(min) < 0 {
		return "must be at least " + string(prop.Minimum)
	}
	if max, ok := parseNumber(string(prop.Maximum)); ok && r.Cmp(max) > 0 {
		return "must be at most " + string(prop.Maximum)
	}
	return ""
}

func (prop MetadataProperty) inEnum(v any) bool {
	for _, e := range prop.Enum {
		ev, err := e.decode()
		if err == nil && sameValue(ev, v) {
			return true
		}
	}
	return false
}

func (prop MetadataProperty) enumList() string {
	parts := make([]string, len(prop.Enum))
	for i, e := range prop.Enum {
		parts[i] = string(e)
	}
	return strings.Join(parts, ", ")
}

// sameValue compares scalars; numbers by exact value, so 1 equals 1.0.
func sameValue(a, b any) bool {
	an, aNum := a.(json.Number)
	bn, bNum := b.(json.Number)
	if aNum && bNum {
		ar, ok1 := parseNumber(string(an))
		br, ok2 := parseNumber(string(bn))
		return ok1 && ok2 && ar.Cmp(br) == 0
	}
	switch a.(type) {
	case string, bool:
		return a == b
	}
	return false
}
