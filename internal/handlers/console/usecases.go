package console

import (
	"context"
	"time"

	"github.com/vercel-partner/partner-server/internal/autopilot"
	"github.com/vercel-partner/partner-server/internal/billing"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/eventpush"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/lifecycle"
	"github.com/vercel-partner/partner-server/internal/resources"
	"github.com/vercel-partner/partner-server/internal/staff"
)

// The use cases the console calls: the same methods the internal API
// calls, as small interfaces so a test can put fakes behind the pages.
type (
	// SignIn is the staff's OpenID Connect sign-in (staff.Flow).
	SignIn interface {
		Begin(ctx context.Context) (authURL, state string, err error)
		Finish(ctx context.Context, browserState, state, code string) (*staff.Identity, error)
	}
	// Resources is our copy of resources (resources.Service).
	Resources interface {
		List(ctx context.Context, installationID string) ([]installations.Resource, error)
	}
	// Lifecycle is an installation's open period and refunds
	// (lifecycle.Service).
	Lifecycle interface {
		OpenPeriod(ctx context.Context, installationID string) (billing.Statement, error)
		Refund(ctx context.Context, key, installationID, invoiceID, total, reason string, also ...deliveries.Local) (deliveries.Delivery, error)
	}
	// Deliveries is the queue of writes to Vercel (deliveries.Service).
	Deliveries interface {
		List(ctx context.Context, f installations.DeliveryFilter) ([]deliveries.Delivery, error)
		Retry(ctx context.Context, id string) (deliveries.Delivery, error)
		Cancel(ctx context.Context, id string) (deliveries.Delivery, error)
	}
	// Pushes are the pushes of feed events to events.push_url, which the
	// delivery routes take by their "push_" ids (eventpush.Service).
	Pushes interface {
		Retry(ctx context.Context, id string) (installations.Push, error)
		Cancel(ctx context.Context, id string) (installations.Push, error)
	}
	// Billing is the autopilot's invoices per period, and the re-queue
	// of a refused one (autopilot.Autopilot).
	Billing interface {
		InvoicePeriods(ctx context.Context, installationID string) ([]autopilot.InvoicePeriod, error)
		RequeueInvoice(ctx context.Context, installationID string, periodStart time.Time) (autopilot.InvoicePeriod, deliveries.Delivery, error)
	}
)

var (
	_ SignIn     = (*staff.Flow)(nil)
	_ Resources  = (*resources.Service)(nil)
	_ Lifecycle  = (*lifecycle.Service)(nil)
	_ Deliveries = (*deliveries.Service)(nil)
	_ Billing    = (*autopilot.Autopilot)(nil)
	_ Pushes     = (*eventpush.Service)(nil)
)
