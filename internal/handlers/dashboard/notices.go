package dashboard

import (
	"encoding/json"
	"strings"

	"github.com/vercel-partner/partner-server/internal/installations"
)

// notificationView is a notification as the dashboard shows it: the one
// Vercel shows on the installation or the resource.
type notificationView struct {
	Level, Title, Message string
	Link                  string // "" when its href is not a web link
}

// notificationOf reads a stored notification for a template; nil when
// there is none. An sso: link is followed as the URL it names: the
// member is signed in here already.
func notificationOf(raw json.RawMessage) *notificationView {
	n, ok := installations.NotificationOf(raw)
	if !ok {
		return nil
	}
	v := &notificationView{Level: n.Level, Title: n.Title, Message: n.Message}
	if target := strings.TrimPrefix(n.Href, "sso:"); strings.HasPrefix(target, "https://") || strings.HasPrefix(target, "http://") ||
		(strings.HasPrefix(target, "/") && !strings.HasPrefix(target, "//")) {
		v.Link = target
	}
	return v
}
