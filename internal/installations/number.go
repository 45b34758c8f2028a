package installations

import (
	"math/big"
	"regexp"
	"strconv"
	"strings"
)

// decimalRE is the shape of every money amount and meter quantity in the
// catalog: no sign, no exponent, so the billing code can parse it exactly.
var decimalRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// IsDecimal reports whether s is a non-negative decimal string such as "20.00".
func IsDecimal(s string) bool { return decimalRE.MatchString(s) }

var jsonNumberRE = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// Bounds that keep big.Rat from expanding an exponent such as 1e999999999
// sent in metadata into a huge integer.
const (
	maxNumberLen = 100
	maxExponent  = 400
)

// parseNumber parses a JSON number literal exactly.
func parseNumber(s string) (*big.Rat, bool) {
	if len(s) > maxNumberLen || !jsonNumberRE.MatchString(s) {
		return nil, false
	}
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		exp, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
		if err != nil || exp > maxExponent || exp < -maxExponent {
			return nil, false
		}
	}
	r, ok := new(big.Rat).SetString(s)
	return r, ok
}

// parseCount parses a non-negative integer such as minLength.
func parseCount(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0 && jsonNumberRE.MatchString(s)
}
