package money

import (
	"encoding/json"
	"errors"
	"math/big"
	"strconv"
	"strings"
)

// Errors returned by Parse and ParseNumber.
var (
	ErrSyntax   = errors.New(`money: not a non-negative decimal like "12.50"`)
	ErrNegative = errors.New("money: must not be negative")
	ErrRange    = errors.New("money: too many digits")
)

// maxDigits bounds the integer digits and the scale of a parsed value, so
// that a hostile "1e999999999" cannot make us allocate gigabytes.
const maxDigits = 100

// Parse reads a money string as Vercel puts it on the wire: exactly
// ^[0-9]+(\.[0-9]+)?$, no sign, exponent, comma or surrounding space. The
// scale is kept as written ("0.10" has scale 2).
func Parse(s string) (Decimal, error) {
	intPart, frac, hasDot := strings.Cut(s, ".")
	if !allDigits(intPart) || (hasDot && !allDigits(frac)) {
		if strings.HasPrefix(s, "-") {
			return Decimal{}, ErrNegative
		}
		return Decimal{}, ErrSyntax
	}
	if len(intPart) > maxDigits || len(frac) > maxDigits {
		return Decimal{}, ErrRange
	}
	return fromDigits(intPart+frac, len(frac)), nil
}

// MustParse is Parse for constants known to be valid; it panics otherwise.
func MustParse(s string) Decimal {
	d, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return d
}

// ParseNumber reads a non-negative JSON number exactly, exponent forms
// included: "1e3" is 1000 and "2.5E-3" is 0.0025, with no rounding.
func ParseNumber(n json.Number) (Decimal, error) {
	s := string(n)
	if strings.HasPrefix(s, "-") {
		return Decimal{}, ErrNegative
	}
	mant, exp, err := splitExponent(s)
	if err != nil {
		return Decimal{}, err
	}
	intPart, frac, hasDot := strings.Cut(mant, ".")
	if !allDigits(intPart) || (hasDot && !allDigits(frac)) ||
		(len(intPart) > 1 && intPart[0] == '0') {
		return Decimal{}, ErrSyntax
	}
	scale := len(frac) - exp
	if len(intPart)+exp > maxDigits || scale > maxDigits {
		return Decimal{}, ErrRange
	}
	d := fromDigits(intPart+frac, max(scale, 0))
	if scale < 0 {
		d.coef.Mul(d.coef, pow10(-scale)) // d.coef is fresh from fromDigits
	}
	return d, nil
}

// splitExponent splits "1.5e-3" into "1.5" and -3.
func splitExponent(s string) (string, int, error) {
	i := strings.IndexAny(s, "eE")
	if i < 0 {
		return s, 0, nil
	}
	e := s[i+1:]
	digits := strings.TrimPrefix(strings.TrimPrefix(e, "+"), "-")
	if len(digits) == len(e)-2 || !allDigits(digits) { // "e+-3"
		return "", 0, ErrSyntax
	}
	if len(digits) > 4 {
		return "", 0, ErrRange
	}
	exp, _ := strconv.Atoi(strings.TrimPrefix(e, "+"))
	return s[:i], exp, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func fromDigits(digits string, scale int) Decimal {
	c, _ := new(big.Int).SetString(digits, 10) // digits are checked by the caller
	return Decimal{coef: c, scale: scale}
}
