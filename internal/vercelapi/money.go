package vercelapi

import (
	"errors"
	"strconv"
)

// Money is a decimal amount in USD as Vercel puts it on the wire: a string
// matching ^[0-9]+(\.[0-9]+)?$ such as "12.50". No sign, currency symbol,
// exponent or comma. Compute amounts in integer cents, not floats.
type Money string

var errMoney = errors.New(`must be a non-negative decimal string like "12.50"`)

// Validate refuses anything but ^[0-9]+(\.[0-9]+)?$.
func (m Money) Validate() error {
	s := string(m)
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return errMoney
	}
	if i == len(s) {
		return nil
	}
	if s[i] != '.' || i+1 == len(s) {
		return errMoney
	}
	for _, c := range []byte(s[i+1:]) {
		if c < '0' || c > '9' {
			return errMoney
		}
	}
	return nil
}

// MoneyFromCents formats a non-negative amount of cents, e.g. 1250 -> "12.50".
// Negative amounts are not representable on the wire and yield "".
func MoneyFromCents(cents int64) Money {
	if cents < 0 {
		return ""
	}
	frac := cents % 100
	s := strconv.FormatInt(cents/100, 10) + "."
	if frac < 10 {
		s += "0"
	}
	return Money(s + strconv.FormatInt(frac, 10))
}

// String returns the decimal string.
func (m Money) String() string { return string(m) }
