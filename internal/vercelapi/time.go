package vercelapi

import (
	"errors"
	"time"
)

// TimeLayout is how Vercel's SDK writes date-times: UTC with milliseconds.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// Time is a date-time on the wire. It marshals as UTC with milliseconds
// (2026-11-01T00:00:00.000Z) and unmarshals any RFC 3339 string. The zero
// Time is "absent": fields of this type are tagged omitzero.
type Time struct{ time.Time }

// NewTime wraps t.
func NewTime(t time.Time) Time { return Time{t} }

// MarshalJSON writes the UTC millisecond form.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.Year() < 0 || t.Year() > 9999 {
		return nil, errors.New("vercelapi: time year outside [0,9999]")
	}
	b := make([]byte, 0, len(TimeLayout)+2)
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, TimeLayout)
	return append(b, '"'), nil
}

// UnmarshalJSON reads an RFC 3339 string; null leaves t unchanged.
func (t *Time) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	if len(data) < 2 || data[0] != '"' || data[len(data)-1] != '"' {
		return errBadTime
	}
	p, err := time.Parse(time.RFC3339Nano, string(data[1:len(data)-1]))
	if err != nil {
		return errBadTime
	}
	t.Time = p
	return nil
}

var errBadTime = errors.New("must be an RFC 3339 date-time")

// String returns the wire form.
func (t Time) String() string { return t.UTC().Format(TimeLayout) }
