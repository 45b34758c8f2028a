package money

import (
	"encoding/json"
	"errors"
	"strings"
)

// String renders d canonically: no exponent, no trailing zeros after the
// point, "0" for zero, a leading "-" when negative (e.g. "12.5", "1000").
func (d Decimal) String() string {
	s := d.fixed(d.scale)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// StringFixed rounds d half-up to places and renders exactly that many
// digits after the point: StringFixed(2) gives money as on the wire, "12.50".
func (d Decimal) StringFixed(places int) string {
	places = max(places, 0)
	return d.RoundHalfUp(places).fixed(places)
}

// fixed renders d with exactly places >= d.scale fraction digits.
func (d Decimal) fixed(places int) string {
	digits := d.rescaled(places).String()
	neg := strings.HasPrefix(digits, "-")
	digits = strings.TrimPrefix(digits, "-")
	if len(digits) <= places {
		digits = strings.Repeat("0", places-len(digits)+1) + digits
	}
	s := digits
	if places > 0 {
		cut := len(digits) - places
		s = digits[:cut] + "." + digits[cut:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// ErrCentsRange means an amount does not fit in int64 cents.
var ErrCentsRange = errors.New("money: amount does not fit in int64 cents")

// Cents returns d rounded half-up to cents, as an integer number of cents.
func (d Decimal) Cents() (int64, error) {
	c := d.RoundHalfUp(2).rescaled(2)
	if !c.IsInt64() {
		return 0, ErrCentsRange
	}
	return c.Int64(), nil
}

// Number returns d as an exact JSON number in canonical form.
func (d Decimal) Number() json.Number { return json.Number(d.String()) }

// MarshalJSON writes d as an exact JSON number (never a string, never an
// exponent), e.g. 42.5.
func (d Decimal) MarshalJSON() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalJSON reads a non-negative JSON number exactly, as ParseNumber.
// A JSON null leaves d unchanged.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	v, err := ParseNumber(json.Number(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
