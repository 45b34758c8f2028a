package installations

import (
	"maps"
	"regexp"
	"slices"
)

func (p *problems) schema(at string, s *MetadataSchema) {
	if s.Type != "object" {
		p.add(at, ".type: must be object")
	}
	for _, k := range slices.Sorted(maps.Keys(s.Properties)) {
		if k == "" {
			p.add(at, ".properties: a property name is empty")
			continue
		}
		p.property(at+".properties."+k, s.Properties[k], true)
	}
	seen := map[string]bool{}
	for i, r := range s.Required {
		if _, ok := s.Properties[r]; !ok {
			p.add(at, ".required[%d]: %q is not a property", i, r)
		} else if seen[r] {
			p.add(at, ".required[%d]: duplicate %q", i, r)
		}
		seen[r] = true
	}
}

func (p *problems) property(at string, prop MetadataProperty, top bool) {
	switch prop.Type {
	case TypeString, TypeNumber, TypeInteger, TypeBoolean:
	case TypeArray:
		if !top {
			p.add(at, ".type: arrays of arrays are not supported")
			return
		}
		p.arrayProperty(at, prop)
		return
	default:
		p.add(at, ".type: must be string, number, integer, boolean or array")
		return
	}
	p.bounds(at, prop)
	p.lengths(at, prop)
	p.values(at, prop)
}

func (p *problems) arrayProperty(at string, prop MetadataProperty) {
	if len(prop.Enum) > 0 {
		p.add(at, ".enum: not for arrays (put it under items)")
	}
	if prop.Minimum != "" || prop.Maximum != "" || prop.MinLength != "" || prop.MaxLength != "" || prop.Pattern != "" {
		p.add(at, ": minimum, maximum, minLength, maxLength and pattern go under items for an array")
	}
	if prop.Items != nil {
		p.property(at+".items", *prop.Items, false)
	}
	prop.Enum = nil
	p.values(at, prop)
}

func (p *problems) bounds(at string, prop MetadataProperty) {
	if prop.Minimum == "" && prop.Maximum == "" {
		return
	}
	if prop.Type != TypeNumber && prop.Type != TypeInteger {
		p.add(at, ": minimum and maximum are for number and integer properties")
		return
	}
	min, minOK := parseNumber(string(prop.Minimum))
	max, maxOK := parseNumber(string(prop.Maximum))
	if prop.Minimum != "" && !minOK {
		p.add(at, ".minimum: %q is not a number", prop.Minimum)
	}
	if prop.Maximum != "" && !maxOK {
		p.add(at, ".maximum: %q is not a number", prop.Maximum)
	}
	if minOK && maxOK && min.Cmp(max) > 0 {
		p.add(at, ": minimum is greater than maximum")
	}
}

func (p *problems) lengths(at string, prop MetadataProperty) {
	if prop.MinLength == "" && prop.MaxLength == "" && prop.Pattern == "" {
		return
	}
	if prop.Type != TypeString {
		p.add(at, ": minLength, maxLength and pattern are for string properties")
		return
	}
	min, minOK := parseCount(string(prop.MinLength))
	max, maxOK := parseCount(string(prop.MaxLength))
	if prop.MinLength != "" && !minOK {
		p.add(at, ".minLength: must be a non-negative integer")
	}
	if prop.MaxLength != "" && !maxOK {
		p.add(at, ".maxLength: must be a non-negative integer")
	}
	if minOK && maxOK && min > max {
		p.add(at, ": minLength is greater than maxLength")
	}
	if prop.Pattern != "" {
		if _, err := regexp.Compile(prop.Pattern); err != nil {
			p.add(at, ".pattern: does not compile")
		}
	}
}

// values checks that enum members, option values and the default are
// values the property itself accepts.
func (p *problems) values(at string, prop MetadataProperty) {
	bare := prop
	bare.Enum = nil
	for i, e := range prop.Enum {
		if msg := decodedCheck(bare, e); msg != "" {
			p.add(at, ".enum[%d]: %s %s", i, string(e), msg)
		}
	}
	for i, o := range prop.UIOptions {
		opt := bare
		if prop.Type == TypeArray && prop.Items != nil {
			opt = *prop.Items // options of a multi-select are item values
		}
		if o.Label == "" {
			p.add(at, ".ui:options[%d].label: is required", i)
		}
		if msg := decodedCheck(opt, o.Value); msg != "" {
			p.add(at, ".ui:options[%d].value: %s", i, msg)
		}
	}
	if len(prop.Default) > 0 {
		if msg := decodedCheck(prop, prop.Default); msg != "" {
			p.add(at, ".default: %s", msg)
		}
	}
}

func decodedCheck(prop MetadataProperty, v Value) string {
	if len(v) == 0 {
		return "is required"
	}
	x, err := v.decode()
	if err != nil {
		return "is not valid JSON"
	}
	return prop.check(x)
}
