package installations

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Value is a JSON value of a metadata schema (an enum member, a default, an
// option value). It is kept as JSON text so that numbers stay exactly as
// written.
type Value json.RawMessage

// MarshalJSON writes the value as it was given.
func (v Value) MarshalJSON() ([]byte, error) {
	if len(v) == 0 {
		return []byte("null"), nil
	}
	return v, nil
}

// UnmarshalJSON keeps the JSON text.
func (v *Value) UnmarshalJSON(b []byte) error {
	if !json.Valid(b) {
		return fmt.Errorf("not valid JSON")
	}
	*v = append((*v)[:0], b...)
	return nil
}

// decode returns the value as Go data, numbers as json.Number.
func (v Value) decode() (any, error) {
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	var x any
	err := dec.Decode(&x)
	return x, err
}
