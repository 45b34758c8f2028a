package config

import (
	"reflect"
	"regexp"
	"strings"
)

// placeholderMarks are pieces of text that only a value copied from the
// README, config.example.yaml or a tutorial carries: a server started
// with one of them says it is ready and then fails at the first call.
var placeholderMarks = []string{
	"yourclientid", "your-client-secret", "replacewith", "changeme", "change-me",
	"example", "...",
}

// placeholderTag is a "<what goes here>" placeholder.
var placeholderTag = regexp.MustCompile(`<[^<>]+>`)

// Placeholder is a configuration key whose value looks copied from an
// example rather than set.
type Placeholder struct {
	Key  string
	Mark string // what gave it away, e.g. "example"
	// Secret is set for keys whose value must never be shown.
	Secret bool
}

// Placeholders lists the keys whose values look like placeholders, in
// key order. They are worth a warning, not a refusal: "example" can be
// meant, and a test set-up may use such values on purpose.
func (c *Config) Placeholders() []Placeholder {
	var out []Placeholder
	walk(reflect.ValueOf(c).Elem(), "", func(key string, v reflect.Value, secret bool) error {
		for _, s := range stringsOf(v) {
			if mark := placeholderMark(s); mark != "" {
				out = append(out, Placeholder{Key: key, Mark: mark, Secret: secret})
				break
			}
		}
		return nil
	})
	return out
}

// stringsOf is the text of a string or list-of-strings leaf; the catalog
// and other structured leaves are free text and not checked.
func stringsOf(v reflect.Value) []string {
	if t, ok := v.Interface().(InternalTokens); ok {
		return t.values()
	}
	switch {
	case v.Kind() == reflect.String:
		return []string{v.String()}
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.String:
		return v.Interface().([]string)
	}
	return nil
}

// placeholderMark returns the mark s carries, or "".
func placeholderMark(s string) string {
	switch {
	case placeholderTag.MatchString(s):
		return "<...>"
	case strings.Contains(s, "xxx") || strings.Contains(s, "XXX"): // not "xXx": random text has that
		return "xxx"
	}
	lower := strings.ToLower(s)
	for _, mark := range placeholderMarks {
		if strings.Contains(lower, mark) {
			return mark
		}
	}
	return ""
}
