// Package lifecycle holds the use cases of an installation over its
// life: Vercel installs it, changes its plan, buys prepaid credit and
// uninstalls it; the partner's side reports its usage; it is finalized
// once billed to the end, and from then on takes nothing more
// (installations.Installation.TakesMore, applied here and by the
// delivery queue). The surfaces decode, call one method and encode.
package lifecycle

import (
	"context"
	"log/slog"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelcall"
)

// Deps are the service's collaborators.
type Deps struct {
	Installations installations.Store
	Resources     installations.ResourceStore
	Usage         installations.UsageStore
	Balances      installations.BalanceStore
	// Invoices bounds a refund by the invoice's total; optional.
	Invoices installations.InvoiceStore
	// Billing tells whether an uninstalled installation's final invoice
	// was queued.
	Billing installations.BillingStore
	// Tx runs fn in one database transaction (db.DB.InTx).
	Tx      func(ctx context.Context, fn func(installations.Tx) error) error
	Catalog installations.Catalog
	// Queue forwards finalizeInstallation.
	Queue Queue
	// Vercel reads invoices for credit purchases.
	Vercel *vercelcall.Caller
	Log    *slog.Logger // optional
	// Now is the clock of the usage ledger; default time.Now.
	Now func() time.Time
	// LateUsageGrace keeps the previous period open for usage this long
	// after it ends (billing.late_usage_grace).
	LateUsageGrace time.Duration
}

// Queue is the delivery queue (deliveries.Service).
type Queue interface {
	Enqueue(ctx context.Context, w deliveries.Write) (deliveries.Delivery, error)
}

// Service is the installation use cases.
type Service struct {
	Deps
}

// New returns the service.
func New(d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{Deps: d}
}

// Install is Vercel's Upsert Installation: it creates the installation
// or, on re-install, replaces token, scopes, policies and account while
// keeping plan and notification.
func (s *Service) Install(ctx context.Context, u installations.Upsert) (installations.Installation, error) {
	in, err := s.Installations.Upsert(ctx, u)
	if err != nil {
		return in, err
	}
	s.Log.InfoContext(ctx, "installation upserted", "installation_id", in.ID)
	return in, nil
}

// Get is an installation as Vercel sees it: a finalized one no longer
// exists (404, as one never installed); one pending finalization still
// does (its final invoices are on their way).
func (s *Service) Get(ctx context.Context, id string) (installations.Installation, error) {
	in, err := s.Installations.Get(ctx, id)
	if err == nil && in.Finalized() {
		err = apperr.NotFoundf("installation %s was uninstalled", in.ID)
	}
	return in, err
}

// live returns the installation when Vercel may still change it: 404
// when unknown, 409 once uninstalled.
func (s *Service) live(ctx context.Context, id string) (installations.Installation, error) {
	in, err := s.Installations.Get(ctx, id)
	if err != nil {
		return in, err
	}
	return in, in.Live()
}

// SetPlan is Vercel's change of a live installation's plan; a nil plan
// changes nothing and answers the installation as it is.
func (s *Service) SetPlan(ctx context.Context, id string, planID *string) (installations.Installation, error) {
	in, err := s.live(ctx, id)
	if err != nil || planID == nil {
		return in, err
	}
	if _, ok := s.Catalog.Plan(*planID); !ok {
		return in, apperr.InvalidFields("unknown billing plan", apperr.Field{Key: "billingPlanId", Message: "no such plan"})
	}
	return s.Installations.SetPlan(ctx, id, *planID)
}

// Finalize tells Vercel that no more invoices will come for an
// uninstalled installation (pending finalization): finalizeInstallation
// is queued, and once Vercel accepts it the token is wiped. also, when
// given, runs in the transaction that queues it. key is the request's
// Idempotency-Key, if any.
func (s *Service) Finalize(ctx context.Context, key, id string, also ...deliveries.Local) (deliveries.Delivery, error) {
	w := deliveries.Finalize(id)
	w.IdemKey = key
	w.Local = func(ctx context.Context, tx installations.Tx, deliveryID string) error {
		in, err := tx.Installation(ctx, id)
		if err != nil {
			return err
		}
		if err := in.Finalizable(); err != nil {
			return err
		}
		for _, fn := range also {
			if err := fn(ctx, tx, deliveryID); err != nil {
				return err
			}
		}
		return nil
	}
	return s.Queue.Enqueue(ctx, w)
}
