package provisioning

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// Bounds of a hook's answer; nothing beyond them reaches Vercel.
const (
	MaxSecrets     = 100
	MaxSecretValue = 64 << 10 // bytes
	maxPrefix      = 256
)

// secretName is an environment variable name as Vercel's projects take it.
var secretName = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)

// Check validates a hook's answer to req and returns it decoded: the
// expected JSON object (or an empty body, except for a provision or a
// rotation, whose answer must carry secrets), a known status, secrets
// whose names are environment variable names (and the product's, when req
// names them), each once, with values of text without NUL up to 64 KB,
// and a notification with a known level and an https or sso: href. The
// notification comes back as validated and re-encoded, so nothing else
// of it is passed on. Errors name the bad key, never a value.
func Check(req Request, raw []byte) (Response, error) {
	trimmed := bytes.TrimSpace(raw)
	needsSecrets := req.Type == TypeProvision || req.Type == TypeRotateSecrets
	if len(trimmed) == 0 && !needsSecrets {
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
	if wire.Secrets == nil && needsSecrets {
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

// checkNotification validates a notification by the rules of every
// notification we pass on (installations.Notification.Check) and returns
// it re-encoded: nothing else of it is passed on.
func checkNotification(raw json.RawMessage) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var n installations.Notification
	if raw[0] != '{' || json.Unmarshal(raw, &n) != nil {
		return nil, errors.New("notification: must be an object")
	}
	if err := n.Check(); err != nil {
		if e, ok := errors.AsType[*apperr.Error](err); ok && len(e.Fields) > 0 {
			return nil, errors.New("notification." + e.Fields[0].Key + ": " + e.Fields[0].Message)
		}
		return nil, errors.New("notification: not valid")
	}
	return n.JSON(), nil
}
