package provisioning

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// Bounds of a hook's answer; nothing beyond them reaches Vercel.
const (
	MaxSecrets     = 100
	MaxSecretValue = 64 << 10 // bytes
	maxPrefix      = 256
	maxTitle       = 100
	maxMessage     = 500
	maxHref        = 2048
)

// secretName is an environment variable name as Vercel's projects take it.
var secretName = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)

// Check validates a hook's answer to req and returns it decoded: the
// expected JSON object (an empty body only for an update, a deletion or a
// transfer, whose answer is optional), a known status, secrets whose names are
// environment variable names (and the product's, when req names them),
// each once, with values of text without NUL up to 64 KB, and a
// notification with a known level and an https or sso: href. The
// notification comes back as validated and re-encoded, so nothing else
// of it is passed on. Errors name the bad key, never a value.
func Check(req Request, raw []byte) (Response, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 && (req.Type == TypeUpdate || req.Type == TypeDelete || req.Type == TypeTransfer) {
		return Response{Secrets: []Secret{}}, nil
	}
	if !utf8.Valid(raw) {
		return Response{}, errors.New("answer is not UTF-8 text")
	}
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return Response{}, errors.New("answer is not the expected JSON object")
	}
	var wire struct {
		Secrets      *[]Secret       `json:"secrets"`
		Status       string          `json:"status"`
		Notification json.RawMessage `json:"notification"`
	}
	if err := json.Unmarshal(trimmed, &wire); err != nil {
		return Response{}, errors.New("answer is not the expected JSON object")
	}
	out := Response{Status: wire.Status, Secrets: []Secret{}}
	if wire.Secrets == nil && (req.Type == TypeProvision || req.Type == TypeRotateSecrets) {
		return Response{}, errors.New("secrets: required")
	}
	if wire.Secrets != nil {
		out.Secrets = *wire.Secrets
	}
	if err := checkSecrets(out.Secrets, req.SecretNames); err != nil {
		return Response{}, err
	}
	if out.Status != "" && req.Type != TypeRotateSecrets && !slices.Contains(vercelapi.Statuses, out.Status) {
		return Response{}, errors.New("status: must be one of " + strings.Join(vercelapi.Statuses, ", "))
	}
	n, err := checkNotification(wire.Notification)
	if err != nil {
		return Response{}, err
	}
	out.Notification = n
	return out, nil
}

func checkSecrets(secrets []Secret, allowed []string) error {
	if len(secrets) > MaxSecrets {
		return fmt.Errorf("secrets: at most %d", MaxSecrets)
	}
	seen := make(map[string]bool, len(secrets))
	for i, s := range secrets {
		at := fmt.Sprintf("secrets[%d]", i)
		switch {
		case !secretName.MatchString(s.Name):
			return errors.New(at + ".name: must match ^[A-Z_][A-Z0-9_]*$")
		case len(allowed) > 0 && !slices.Contains(allowed, s.Name):
			return errors.New(at + ".name: not one of the product's secret_names")
		case seen[s.Name]:
			return errors.New(at + ".name: given twice")
		case s.Value == "":
			return errors.New(at + ".value: required")
		}
		seen[s.Name] = true
		if err := checkValue(at+".value", s.Value); err != nil {
			return err
		}
		if len(s.Prefix) > maxPrefix || strings.ContainsFunc(s.Prefix, unicode.IsControl) {
			return fmt.Errorf("%s.prefix: must be up to %d characters of text", at, maxPrefix)
		}
		for env, v := range s.EnvironmentOverrides {
			if env != "development" && env != "preview" && env != "production" {
				return errors.New(at + ".environmentOverrides: only development, preview and production")
			}
			if err := checkValue(at+".environmentOverrides."+env, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkValue: a secret value is text without NUL, up to MaxSecretValue.
func checkValue(at, v string) error {
	if len(v) > MaxSecretValue || strings.ContainsRune(v, 0) || strings.ContainsRune(v, utf8.RuneError) {
		return fmt.Errorf("%s: must be text without NUL, up to %d bytes", at, MaxSecretValue)
	}
	return nil
}

// notification is what of a hook's notification is passed on.
type notification struct {
	Level   string `json:"level"`
	Title   string `json:"title"`
	Message string `json:"message,omitempty"`
	Href    string `json:"href,omitempty"`
}

func checkNotification(raw json.RawMessage) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var n notification
	if raw[0] != '{' || json.Unmarshal(raw, &n) != nil {
		return nil, errors.New("notification: must be an object")
	}
	switch {
	case !slices.Contains([]string{vercelapi.LevelInfo, vercelapi.LevelWarn, vercelapi.LevelError}, n.Level):
		return nil, errors.New("notification.level: must be info, warn or error")
	case !text(n.Title, 1, maxTitle):
		return nil, fmt.Errorf("notification.title: must be 1 to %d characters of text", maxTitle)
	case !text(n.Message, 0, maxMessage):
		return nil, fmt.Errorf("notification.message: must be up to %d characters of text", maxMessage)
	case n.Href != "" && !safeHref(n.Href):
		return nil, errors.New("notification.href: must be an https URL or an sso: link")
	}
	return json.Marshal(n)
}

func text(s string, minLen, maxLen int) bool {
	n := utf8.RuneCountInString(s)
	return n >= minLen && n <= maxLen && !strings.ContainsFunc(s, unicode.IsControl) && !strings.ContainsRune(s, utf8.RuneError)
}

// safeHref is an absolute https URL, or sso: followed by one or by a path.
func safeHref(h string) bool {
	if len(h) > maxHref || strings.ContainsFunc(h, unicode.IsControl) {
		return false
	}
	if rest, ok := strings.CutPrefix(h, "sso:"); ok {
		if strings.HasPrefix(rest, "/") && !strings.HasPrefix(rest, "//") {
			return true
		}
		h = rest
	}
	u, err := url.Parse(h)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.User == nil
}
