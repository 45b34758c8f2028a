package vercelsim

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Leaf checkers: the scalar types and formats of Vercel's schemas.

func anyValue(string, any) *schemaError { return nil }

func str(path string, v any) *schemaError {
	if _, ok := v.(string); !ok {
		return wrongType(path, "a string", v)
	}
	return nil
}

func boolean(path string, v any) *schemaError {
	if _, ok := v.(bool); !ok {
		return wrongType(path, "a boolean", v)
	}
	return nil
}

func number(path string, v any) *schemaError {
	if _, ok := v.(json.Number); !ok {
		return wrongType(path, "a number", v)
	}
	return nil
}

func enum(values ...string) checker {
	return func(path string, v any) *schemaError {
		s, ok := v.(string)
		if !ok {
			return wrongType(path, "a string", v)
		}
		if !slices.Contains(values, s) {
			return fail(path, "%q is not one of %s", s, strings.Join(values, "|"))
		}
		return nil
	}
}

var moneyRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// money checks Vercel's decimal strings: no sign, symbol or exponent.
func money(path string, v any) *schemaError {
	s, ok := v.(string)
	if !ok {
		return wrongType(path, "a decimal string", v)
	}
	if !moneyRE.MatchString(s) {
		return fail(path, "%q is not a decimal string matching ^[0-9]+(\\.[0-9]+)?$", s)
	}
	return nil
}

func dateTime(path string, v any) *schemaError {
	s, ok := v.(string)
	if !ok {
		return wrongType(path, "a date-time string", v)
	}
	if _, err := parseDateTime(s); err != nil {
		return fail(path, "%q is not an RFC 3339 date-time", s)
	}
	return nil
}

func parseDateTime(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }

// httpURL checks an absolute http(s) URL, or, when sso is set, also an
// "sso:https://..." link.
func httpURL(sso bool) checker {
	return func(path string, v any) *schemaError {
		s, ok := v.(string)
		if !ok {
			return wrongType(path, "a URL string", v)
		}
		if sso {
			s = strings.TrimPrefix(s, "sso:")
		}
		if !strings.HasPrefix(s, "https://") && !strings.HasPrefix(s, "http://") {
			return fail(path, "%q is not an absolute http(s) URL", v)
		}
		return nil
	}
}

// ssoPath checks a relative sso: link ("sso:/checks/123").
func ssoPath(path string, v any) *schemaError {
	s, ok := v.(string)
	if !ok {
		return wrongType(path, "a URL string", v)
	}
	if !strings.HasPrefix(s, "sso:/") || strings.HasPrefix(s, "sso://") {
		return fail(path, "%q is not an sso: link", s)
	}
	return nil
}
