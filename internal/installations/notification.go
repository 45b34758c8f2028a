package installations

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/vercel-partner/partner-server/internal/apperr"
)

// Notification levels, as Vercel names them.
const (
	LevelInfo  = "info"
	LevelWarn  = "warn"
	LevelError = "error"
)

// Bounds of a notification: Vercel shows at most 100 characters of a
// title; the message and link are bounded by us.
const (
	MaxNotificationTitle   = 100
	MaxNotificationMessage = 500
	MaxNotificationHref    = 2048
)

// Notification is what Vercel's dashboard shows on an installation or a
// resource: a level, a title, an optional message and an optional link
// (an https URL, or "sso:" and a URL to open through Open in Provider).
type Notification struct {
	Level   string `json:"level"`
	Title   string `json:"title"`
	Message string `json:"message,omitempty"`
	Href    string `json:"href,omitempty"`
}

// Check validates n, naming every bad field (400).
func (n Notification) Check() error {
	var fields []apperr.Field
	bad := func(key, msg string) { fields = append(fields, apperr.Field{Key: key, Message: msg}) }
	switch n.Level {
	case LevelInfo, LevelWarn, LevelError:
	default:
		bad("level", "must be info, warn or error")
	}
	if msg := checkLine(n.Title, MaxNotificationTitle, false); msg != "" {
		bad("title", msg)
	} else if strings.TrimSpace(n.Title) == "" {
		bad("title", "required")
	}
	if msg := checkLine(n.Message, MaxNotificationMessage, true); msg != "" {
		bad("message", msg)
	}
	if n.Href != "" && !notificationHref(n.Href) {
		bad("href", "must be an https URL, or sso: followed by a URL or a path")
	}
	if len(fields) > 0 {
		return apperr.InvalidFields("The notification is not valid.", fields...)
	}
	return nil
}

// checkLine says what is wrong with a text of at most limit characters
// ("" when nothing); newlines are allowed only when multiline.
func checkLine(s string, limit int, multiline bool) string {
	switch {
	case !utf8.ValidString(s):
		return "must be valid text"
	case utf8.RuneCountInString(s) > limit:
		return "must be at most " + strconv.Itoa(limit) + " characters"
	case strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t')) }):
		return "must not contain control characters"
	}
	return ""
}

// notificationHref accepts https://host/..., and sso: followed by an
// http(s) URL or an absolute path: the links Vercel opens (sso: runs Open
// in Provider first). Anything else (javascript:, data:, a bare http URL)
// is refused.
func notificationHref(h string) bool {
	if len(h) > MaxNotificationHref || strings.ContainsFunc(h, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return false
	}
	target, sso := strings.CutPrefix(h, "sso:")
	if sso && strings.HasPrefix(target, "/") && !strings.HasPrefix(target, "//") {
		return true
	}
	u, err := url.Parse(target)
	if err != nil || u.Host == "" || u.User != nil {
		return false
	}
	return u.Scheme == "https" || (sso && u.Scheme == "http")
}

// JSON is n as stored and sent.
func (n Notification) JSON() json.RawMessage {
	b, _ := json.Marshal(n)
	return b
}

// NotificationOf reads a stored notification; ok is false when there is
// none (empty, null) or it does not read as one.
func NotificationOf(raw json.RawMessage) (Notification, bool) {
	var n Notification
	if len(raw) == 0 || string(raw) == "null" || json.Unmarshal(raw, &n) != nil || n.Title == "" {
		return Notification{}, false
	}
	return n, true
}
