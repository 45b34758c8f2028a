package vercelapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
)

// DecodeStrict decodes a JSON request body into v, a pointer to one of this
// package's request types (e.g. *BillingData, *InvoiceRequest, *EventRequest,
// *SecretsUpdate), the way Vercel's schemas (additionalProperties: false)
// would: it refuses malformed JSON, trailing data, unknown keys at any depth
// (including inside the billing and secrets unions), wrong JSON types, bad
// date-times and missing required keys, then runs v's Validate method. Every
// problem comes back in one *ValidationError whose keys are JSON paths, e.g.
// "items[0].bogus" or "period.start".
func DecodeStrict(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return errors.New("vercelapi: DecodeStrict needs a non-nil pointer")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		if errors.Is(err, io.EOF) {
			return nilBody()
		}
		return &ValidationError{Fields: []FieldError{{Message: "malformed JSON: " + strings.TrimPrefix(err.Error(), "json: ")}}}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &ValidationError{Fields: []FieldError{{Message: "malformed JSON: unexpected data after the top-level value"}}}
	}

	s := &strictState{}
	s.check("", tree, rv.Type().Elem())
	for _, f := range s.fields {
		if f.Message != "required" {
			return &ValidationError{Fields: s.fields} // the shape is wrong: stop here
		}
	}
	if err := json.Unmarshal(data, v); err != nil {
		// The walk above should have caught it; report what json says.
		key := ""
		if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
			key = te.Field
		}
		s.add(key, strings.TrimPrefix(err.Error(), "json: "))
		return &ValidationError{Fields: s.fields}
	}
	if val, ok := v.(interface{ Validate() error }); ok {
		if err := val.Validate(); err != nil {
			ve, ok := errors.AsType[*ValidationError](err)
			if !ok {
				return err
			}
			for _, f := range ve.Fields {
				if !slices.ContainsFunc(s.fields, func(g FieldError) bool { return g.Key == f.Key }) {
					s.fields = append(s.fields, f)
				}
			}
		}
	}
	if len(s.fields) > 0 {
		return &ValidationError{Fields: s.fields}
	}
	return nil
}

// strictState walks a decoded JSON tree (objects as map[string]any, numbers
// as json.Number) alongside the Go type it will be decoded into.
type strictState struct {
	fields []FieldError
}

// strictChecker is implemented (on the pointer) by types whose JSON shape the
// reflection walk cannot infer: unions, nullable fields, date-times.
type strictChecker interface {
	checkStrict(s *strictState, path string, val any)
}

var checkerType = reflect.TypeFor[strictChecker]()

func (s *strictState) add(key, msg string) {
	s.fields = append(s.fields, FieldError{Key: key, Message: msg})
}

var numberType = reflect.TypeFor[json.Number]()

func (s *strictState) check(path string, val any, t reflect.Type) {
	if reflect.PointerTo(t).Implements(checkerType) {
		reflect.New(t).Interface().(strictChecker).checkStrict(s, path, val)
		return
	}
	if t == numberType {
		if _, ok := val.(json.Number); !ok {
			s.add(path, "must be a number")
		}
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		if val != nil {
			s.check(path, val, t.Elem())
		}
	case reflect.Interface:
		// any JSON value
	case reflect.String:
		if _, ok := val.(string); !ok {
			s.add(path, "must be a string")
		}
	case reflect.Bool:
		if _, ok := val.(bool); !ok {
			s.add(path, "must be a boolean")
		}
	case reflect.Float32, reflect.Float64:
		if _, ok := val.(json.Number); !ok {
			s.add(path, "must be a number")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := val.(json.Number)
		if _, err := n.Int64(); !ok || err != nil {
			s.add(path, "must be an integer")
		}
	case reflect.Slice:
		arr, ok := val.([]any)
		if !ok {
			s.add(path, "must be an array")
			return
		}
		for i, e := range arr {
			s.check(index(path, i), e, t.Elem())
		}
	case reflect.Map:
		obj, ok := val.(map[string]any)
		if !ok {
			s.add(path, "must be an object")
			return
		}
		for _, k := range sortedKeys(obj) {
			s.check(join(path, k), obj[k], t.Elem())
		}
	case reflect.Struct:
		obj, ok := val.(map[string]any)
		if !ok {
			s.add(path, "must be an object")
			return
		}
		s.object(path, obj, structFields(t))
	default:
		s.add(path, "unsupported type")
	}
}

// object checks an object against known fields: unknown keys, types of the
// known ones, then presence of the required ones.
func (s *strictState) object(path string, obj map[string]any, fields []fieldInfo) {
	for _, k := range sortedKeys(obj) {
		i := slices.IndexFunc(fields, func(f fieldInfo) bool { return f.name == k })
		if i < 0 {
			s.add(join(path, k), "unknown key")
			continue
		}
		s.check(join(path, k), obj[k], fields[i].typ)
	}
	for _, f := range fields {
		if _, ok := obj[f.name]; f.required && !ok {
			s.add(join(path, f.name), "required")
		}
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// fieldInfo is one JSON key of a struct. required comes from the struct tag
// vercel:"required": the key must be present (its value may be zero).
type fieldInfo struct {
	name     string
	typ      reflect.Type
	required bool
}

var fieldCache sync.Map // reflect.Type -> []fieldInfo

func structFields(t reflect.Type) []fieldInfo {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]fieldInfo)
	}
	var fields []fieldInfo
	for sf := range t.Fields() {
		if !sf.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		fields = append(fields, fieldInfo{name: name, typ: sf.Type, required: sf.Tag.Get("vercel") == "required"})
	}
	fieldCache.Store(t, fields)
	return fields
}

// checkStrict: a date-time must be an RFC 3339 string.
func (*Time) checkStrict(s *strictState, path string, val any) {
	str, ok := val.(string)
	if !ok {
		s.add(path, "must be a string (RFC 3339 date-time)")
		return
	}
	if _, err := time.Parse(time.RFC3339Nano, str); err != nil {
		s.add(path, errBadTime.Error())
	}
}
