package vercelsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
)

// This file is a small JSON-schema checker over decoded JSON. It is written
// independently of the project's Vercel client so that the simulator checks
// that client instead of sharing its mistakes.

// checker validates the value at path; it returns nil or a *schemaError.
type checker func(path string, v any) *schemaError

// schemaError names the bad key and why. typeMismatch lets oneOf pick the
// branch whose error is most telling.
type schemaError struct {
	path, msg    string
	typeMismatch bool
}

func (e *schemaError) Error() string {
	if e.path == "" {
		return "body: " + e.msg
	}
	return e.path + ": " + e.msg
}

func fail(path, format string, args ...any) *schemaError {
	return &schemaError{path: path, msg: fmt.Sprintf(format, args...)}
}

func wrongType(path, want string, v any) *schemaError {
	return &schemaError{path: path, msg: fmt.Sprintf("must be %s, got %s", want, jsonKind(v)), typeMismatch: true}
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// decodeObject parses body as exactly one JSON object, keeping numbers as
// json.Number.
func decodeObject(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("body: malformed JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("body: trailing data after the JSON value")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("body: must be a JSON object, got %s", jsonKind(v))
	}
	return m, nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// prop is one key of an object schema.
type prop struct {
	check    checker
	required bool
}

func req(c checker) prop { return prop{check: c, required: true} }
func opt(c checker) prop { return prop{check: c} }

// object checks an object with additionalProperties:false.
func object(props map[string]prop) checker { return objectSchema(props, false) }

// openObject checks the listed keys and allows others.
func openObject(props map[string]prop) checker { return objectSchema(props, true) }

func objectSchema(props map[string]prop, additional bool) checker {
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range props {
			if !yield(k) {
				return
			}
		}
	})
	return func(path string, v any) *schemaError {
		m, ok := v.(map[string]any)
		if !ok {
			return wrongType(path, "an object", v)
		}
		if !additional {
			var unknown []string
			for k := range m {
				if _, ok := props[k]; !ok {
					unknown = append(unknown, k)
				}
			}
			if len(unknown) > 0 {
				slices.Sort(unknown)
				return fail(join(path, unknown[0]), "unknown key (additionalProperties is false)")
			}
		}
		for _, k := range keys {
			val, present := m[k]
			if !present {
				if props[k].required {
					return fail(join(path, k), "is required")
				}
				continue
			}
			if err := props[k].check(join(path, k), val); err != nil {
				return err
			}
		}
		return nil
	}
}

// mapOf checks an object with arbitrary keys whose values pass c.
func mapOf(c checker) checker {
	return func(path string, v any) *schemaError {
		m, ok := v.(map[string]any)
		if !ok {
			return wrongType(path, "an object", v)
		}
		for _, k := range slices.Sorted(func(yield func(string) bool) {
			for k := range m {
				if !yield(k) {
					return
				}
			}
		}) {
			if err := c(join(path, k), m[k]); err != nil {
				return err
			}
		}
		return nil
	}
}

func arrayOf(c checker) checker {
	return func(path string, v any) *schemaError {
		a, ok := v.([]any)
		if !ok {
			return wrongType(path, "an array", v)
		}
		for i, e := range a {
			if err := c(fmt.Sprintf("%s[%d]", path, i), e); err != nil {
				return err
			}
		}
		return nil
	}
}

// oneOf accepts a value any branch accepts. Otherwise it reports the error
// of the branch that got furthest (deepest path), so a bad price inside the
// object form of a union is reported as such.
func oneOf(cs ...checker) checker {
	return func(path string, v any) *schemaError {
		var best *schemaError
		bestRank := -2
		for _, c := range cs {
			err := c(path, v)
			if err == nil {
				return nil
			}
			rank := len(err.path)
			if err.path == path && err.typeMismatch {
				rank = -1
			}
			if rank > bestRank {
				best, bestRank = err, rank
			}
		}
		return best
	}
}

// tagged checks an object whose key tag (required) picks the schema.
func tagged(tag string, branches map[string]checker) checker {
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range branches {
			if !yield(k) {
				return
			}
		}
	})
	return func(path string, v any) *schemaError {
		m, ok := v.(map[string]any)
		if !ok {
			return wrongType(path, "an object", v)
		}
		t, present := m[tag]
		if !present {
			return fail(join(path, tag), "is required")
		}
		if err := enum(names...)(join(path, tag), t); err != nil {
			return err
		}
		return branches[t.(string)](path, v)
	}
}

func nullable(c checker) checker {
	return func(path string, v any) *schemaError {
		if v == nil {
			return nil
		}
		return c(path, v)
	}
}
