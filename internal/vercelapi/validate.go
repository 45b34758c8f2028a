package vercelapi

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/vercel-partner/partner-server/internal/money"
)

// FieldError is one problem with a request body. Key is the JSON path of
// the offending key as it appears on the wire, e.g. "billing.items[0].price",
// "period.start" or "event.resourceId"; Message says what is wrong.
type FieldError struct {
	Key     string `json:"key"`
	Message string `json:"message"`
}

// ValidationError lists every problem found in a request body. It is
// returned by Validate methods, by DecodeStrict, and by client methods
// before any HTTP call is made.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("vercelapi: invalid request")
	for i, f := range e.Fields {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		if f.Key != "" {
			b.WriteString(f.Key + ": ")
		}
		b.WriteString(f.Message)
	}
	return b.String()
}

// validator collects FieldErrors; paths are built with join and index.
type validator struct {
	fields []FieldError
}

func (v *validator) add(key, msg string) {
	v.fields = append(v.fields, FieldError{Key: key, Message: msg})
}

// err returns nil or the collected *ValidationError.
func (v *validator) err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return &ValidationError{Fields: v.fields}
}

func (v *validator) required(key, s string) {
	if strings.TrimSpace(s) == "" {
		v.add(key, "required")
	}
}

// money checks a decimal amount; an empty optional amount is fine.
func (v *validator) money(key string, m Money, required bool) {
	if m == "" {
		if required {
			v.add(key, "required")
		}
		return
	}
	if err := m.Validate(); err != nil {
		v.add(key, err.Error())
	}
}

func (v *validator) time(key string, t Time) {
	if t.IsZero() {
		v.add(key, "required")
	}
}

// oneOf checks an enum; an empty optional value is fine.
func (v *validator) oneOf(key, s string, required bool, allowed ...string) {
	if s == "" {
		if required {
			v.add(key, "required")
		}
		return
	}
	if !slices.Contains(allowed, s) {
		v.add(key, "must be one of "+strings.Join(allowed, ", "))
	}
}

func (v *validator) period(key string, p Period) {
	v.time(join(key, "start"), p.Start)
	v.time(join(key, "end"), p.End)
	if !p.Start.IsZero() && !p.End.IsZero() && !p.Start.Before(p.End.Time) {
		v.add(join(key, "end"), "must be after period.start")
	}
}

// within checks that t lies inside p (bounds included).
func (v *validator) within(key string, t Time, p Period) {
	if t.IsZero() || p.Start.IsZero() || p.End.IsZero() {
		return
	}
	if t.Before(p.Start.Time) || t.After(p.End.Time) {
		v.add(key, "must lie within period")
	}
}

// nilBody is the error for a nil request value.
func nilBody() error {
	return &ValidationError{Fields: []FieldError{{Key: "", Message: "request body is required"}}}
}

// join appends an object key to a JSON path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// index appends an array index to a JSON path.
func index(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// number refuses NaN and infinities, which JSON cannot carry.
func (v *validator) number(key string, f float64) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		v.add(key, "must be a finite number")
	}
}

// exact checks an exact JSON number (quantities and usage values).
func (v *validator) exact(key string, n json.Number) {
	if n == "" {
		v.add(key, "required")
		return
	}
	if _, err := money.ParseNumber(n); err != nil {
		v.add(key, "must be a non-negative JSON number")
	}
}

// span checks optional start/end overrides of a line.
func (v *validator) span(path string, start, end Time) {
	if !start.IsZero() && !end.IsZero() && !start.Before(end.Time) {
		v.add(join(path, "end"), "must be after start")
	}
}
