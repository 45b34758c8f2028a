// Package dunning acts on unpaid invoices (billing.dunning): at an
// invoice's first failed payment a warn notification on the installation
// names it; if it is still unpaid billing.dunning.grace later (Vercel
// re-checked with getInvoice), the installation's resources on paid plans
// are suspended and the notification becomes an error; once paid, the
// resources it suspended are resumed and the notification is cleared.
//
// The webhooks record what happened (installations.DunningTx, in the
// transaction that stores the event); Settle makes the installation
// match it and is safe to run again at any time, so replays, repeats, a
// crash half-way and several clocks (billing/run with a now) change
// nothing twice.
package dunning

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelcall"
)

// Deps are the service's collaborators.
type Deps struct {
	Installations installations.Store
	Resources     installations.ResourceStore
	Store         installations.DunningStore
	// Tx runs fn in one database transaction (db.DB.InTx).
	Tx            func(ctx context.Context, fn func(installations.Tx) error) error
	Catalog       installations.Catalog
	Notifications Notifications
	Suspender     Suspender
	// Vercel re-reads an invoice before its grace suspends anything.
	Vercel *vercelcall.Caller
	// PublicURL is where the notification's link points (the dashboard's
	// invoice page, through Open in Provider); "" leaves it out.
	PublicURL string
	Grace     time.Duration
	Log       *slog.Logger     // optional
	Now       func() time.Time // optional
}

// Notifications is the installation's notification (notifications.Service).
type Notifications interface {
	SetInstallation(ctx context.Context, key, installationID string, n installations.Notification,
		also ...deliveries.Local) (installations.Installation, deliveries.Delivery, error)
	ClearInstallation(ctx context.Context, key, installationID string,
		also ...deliveries.Local) (installations.Installation, deliveries.Delivery, error)
}

// Suspender suspends and resumes resources (resources.Service).
type Suspender interface {
	Suspend(ctx context.Context, key, installationID, resourceID string,
		also ...deliveries.Local) (installations.Resource, deliveries.Delivery, error)
	Resume(ctx context.Context, key, installationID, resourceID string,
		also ...deliveries.Local) (installations.Resource, deliveries.Delivery, error)
}

// Service is the dunning use case.
type Service struct {
	Deps
	// settling keeps one Settle at a time in this process: the webhooks'
	// and the autopilot's would otherwise race on one installation.
	settling sync.Mutex
	mu       sync.Mutex
	due      map[string]bool // installations kicked, not settled yet
	wake     chan struct{}
}

// New returns the service.
func New(d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{Deps: d, due: map[string]bool{}, wake: make(chan struct{}, 1)}
}

// Action is one thing dunning did.
type Action struct {
	InstallationID string `json:"installationId"`
	InvoiceID      string `json:"invoiceId,omitempty"`
	// Action is warned, escalated, suspended, resumed, cleared or paid
	// (Vercel says the invoice is paid; the case closes).
	Action     string `json:"action"`
	Level      string `json:"level,omitempty"` // the notification's, for notified
	ResourceID string `json:"resourceId,omitempty"`
	DeliveryID string `json:"deliveryId,omitempty"`
}

// Cycle settles every installation dunning has to do with as of now; a
// failure for one is logged and the others go on.
func (s *Service) Cycle(ctx context.Context, now time.Time) ([]Action, error) {
	ids, err := s.Store.InstallationsInDunning(ctx)
	if err != nil {
		return nil, err
	}
	out := []Action{}
	for _, id := range ids {
		acts, err := s.Settle(ctx, id, now)
		out = append(out, acts...)
		if err != nil && ctx.Err() == nil {
			s.Log.ErrorContext(ctx, "dunning", "installation_id", id, "err", err)
		}
	}
	return out, ctx.Err()
}

// Kick asks the background run (Run) to settle an installation now: a
// webhook recorded something about its invoices.
func (s *Service) Kick(installationID string) {
	s.mu.Lock()
	s.due[installationID] = true
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run settles every installation in dunning at start (what a crash left
// half-done), then the kicked ones, until ctx ends.
func (s *Service) Run(ctx context.Context) {
	if _, err := s.Cycle(ctx, s.Now()); err != nil && ctx.Err() == nil {
		s.Log.Error("dunning at start", "err", err)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		}
		s.mu.Lock()
		due := s.due
		s.due = map[string]bool{}
		s.mu.Unlock()
		for id := range due {
			if _, err := s.Settle(ctx, id, s.Now()); err != nil && ctx.Err() == nil {
				s.Log.Error("dunning", "installation_id", id, "err", err)
			}
		}
	}
}
