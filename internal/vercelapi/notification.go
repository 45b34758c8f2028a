package vercelapi

import (
	"encoding/json"
	"strings"
)

// Notification levels.
const (
	LevelInfo  = "info"
	LevelWarn  = "warn"
	LevelError = "error"
)

// Notification is shown on the installation or resource in Vercel's
// dashboard. Href may be an absolute http(s) URL or "sso:https://..." to run
// SSO first.
type Notification struct {
	Level   string `json:"level" vercel:"required"` // info | warn | error
	Title   string `json:"title" vercel:"required"`
	Message string `json:"message,omitempty"`
	Href    string `json:"href,omitempty"`
}

func (n *Notification) validate(v *validator, path string) {
	v.oneOf(join(path, "level"), n.Level, true, LevelInfo, LevelWarn, LevelError)
	v.required(join(path, "title"), n.Title)
	if h := strings.TrimPrefix(n.Href, "sso:"); n.Href != "" &&
		!strings.HasPrefix(h, "https://") && !strings.HasPrefix(h, "http://") && !strings.HasPrefix(n.Href, "sso:/") {
		v.add(join(path, "href"), "must be an absolute http(s) URL or an sso: link")
	}
}

// NotificationPatch is the notification key of a PATCH body, which has three
// states: absent (the zero value, key omitted), a notification, or null,
// which clears the current one.
type NotificationPatch struct {
	Set   bool          // false: leave the key out
	Value *Notification // nil with Set: send null (clear)
}

// SetNotification sends n.
func SetNotification(n Notification) NotificationPatch {
	return NotificationPatch{Set: true, Value: &n}
}

// ClearNotification sends "notification": null.
func ClearNotification() NotificationPatch {
	return NotificationPatch{Set: true}
}

// IsZero reports an absent key (for omitzero).
func (p NotificationPatch) IsZero() bool { return !p.Set }

// MarshalJSON writes the notification or null.
func (p NotificationPatch) MarshalJSON() ([]byte, error) {
	if p.Value == nil {
		return []byte("null"), nil
	}
	return json.Marshal(p.Value)
}

// UnmarshalJSON records the key as present; null means clear.
func (p *NotificationPatch) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*p = NotificationPatch{Set: true}
		return nil
	}
	var n Notification
	if err := json.Unmarshal(data, &n); err != nil {
		return err
	}
	*p = NotificationPatch{Set: true, Value: &n}
	return nil
}

func (*NotificationPatch) checkStrict(s *strictState, path string, val any) {
	if val != nil {
		s.check(path, val, typeNotification)
	}
}

func (p *NotificationPatch) validate(v *validator, path string) {
	if p.Value != nil {
		p.Value.validate(v, path)
	}
}
