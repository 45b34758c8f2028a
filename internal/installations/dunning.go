package installations

import (
	"context"
	"encoding/json"
	"time"
)

// DunningCase is one invoice Vercel could not charge, from its first
// failure (marketplace.invoice.notpaid or .overdue) until it is paid.
type DunningCase struct {
	InstallationID string
	InvoiceID      string
	// Known: we had a record of the invoice before its first failure.
	// A case of an invoice we do not know is kept, and never acted on.
	Known         bool
	Failures      int    // failure events received
	LastKind      string // notpaid | overdue
	FirstFailedAt time.Time
	// EscalatedAt is when the grace ran out and the installation's paid
	// resources were suspended; nil before.
	EscalatedAt *time.Time
	PaidAt      *time.Time // nil while open
}

// Open reports whether the invoice is still unpaid.
func (c DunningCase) Open() bool { return c.PaidAt == nil }

// Overdue reports whether the case's grace is over at now: escalated
// once, it stays so until paid, whatever clock asks later.
func (c DunningCase) Overdue(now time.Time, grace time.Duration) bool {
	return c.Open() && c.Known && (c.EscalatedAt != nil || !now.Before(c.FirstFailedAt.Add(grace)))
}

// DunningSuspension is a resource dunning suspended, and the invoice
// that caused it.
type DunningSuspension struct {
	InstallationID string
	ResourceID     string
	InvoiceID      string
	SuspendedAt    time.Time
}

// DunningTx is what the webhook's transaction and the dunning use case
// record.
type DunningTx interface {
	// InvoiceFailed opens the invoice's case at its first failure (known
	// when the invoice was recorded before) or counts one more failure;
	// the start of the grace never moves. A failure older than the
	// payment that closed the case (a late redelivery) changes nothing; a
	// newer one opens the case again.
	InvoiceFailed(ctx context.Context, installationID, invoiceID, kind string, at time.Time) error
	// InvoicePaid closes the invoice's case (and records the payment
	// when there is none, so a late failure event cannot open one).
	InvoicePaid(ctx context.Context, installationID, invoiceID string, at time.Time) error
	// EscalateDunning marks the case escalated at at (once).
	EscalateDunning(ctx context.Context, installationID, invoiceID string, at time.Time) error
	// PutDunningSuspension records a resource dunning suspended.
	PutDunningSuspension(ctx context.Context, s DunningSuspension) error
	// DeleteDunningSuspension forgets one.
	DeleteDunningSuspension(ctx context.Context, installationID, resourceID string) error
	// SetDunningNotice records the notification dunning put on the
	// installation; nil forgets it.
	SetDunningNotice(ctx context.Context, installationID string, n json.RawMessage) error
}

// DunningStore reads what dunning recorded.
type DunningStore interface {
	// OpenDunningCases lists the installation's unpaid cases, oldest
	// failure first.
	OpenDunningCases(ctx context.Context, installationID string) ([]DunningCase, error)
	DunningSuspensions(ctx context.Context, installationID string) ([]DunningSuspension, error)
	// DunningNotice is the notification dunning last set (nil: none).
	DunningNotice(ctx context.Context, installationID string) (json.RawMessage, error)
	// InstallationsInDunning lists the installations with an open case,
	// a suspension or a notice of dunning.
	InstallationsInDunning(ctx context.Context) ([]string, error)
}
