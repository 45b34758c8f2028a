package installations

import (
	"errors"
	"time"
)

// Push is one feed event on its way to the partner's push receiver
// (events.push_url), and what became of it. Its states are the delivery
// states pending, delivered and dead.
type Push struct {
	ID             string // "push_" + the event's id
	Seq            int64  // the order pushes were taken from the feed
	InstallationID string // pushes of one installation go out in Seq order
	EventID        string // the webhook-id the receiver dedupes on
	Body           string // the event as the feed shows it
	Status         string
	Attempts       int
	NextAttemptAt  time.Time
	LastError      string
	// Since starts the time a push may keep failing before it is dead:
	// when it was taken from the feed, or when an operator retried it.
	Since      time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
	FinishedAt *time.Time
}

// Final reports whether nothing more will happen to p.
func (p Push) Final() bool { return p.Status != DeliveryPending }

// ErrPushCursorMoved: another process took the same feed events first.
var ErrPushCursorMoved = errors.New("push cursor moved: another process took these events")
