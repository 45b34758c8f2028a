package installations

import (
	"context"
	"fmt"
	"time"

	"github.com/vercel-partner/partner-server/internal/billing"
	"github.com/vercel-partner/partner-server/internal/money"
)

// UsageStore keeps the usage ledger: records the partner's services report.
type UsageStore interface {
	// AddUsage keeps records in one transaction and returns how many were
	// new. A known id with the same content is skipped; one with a
	// different content fails the whole batch with an apperr Conflict.
	AddUsage(ctx context.Context, installationID string, records []billing.Record) (int, error)
	// Usage lists an installation's records with start <= At < end.
	Usage(ctx context.Context, installationID string, start, end time.Time) ([]billing.Record, error)
}

// InvoiceRun is the one invoice the autopilot queues per installation and
// billing period; its key makes that invoice happen once.
type InvoiceRun struct {
	InstallationID string
	PeriodStart    time.Time
	PeriodEnd      time.Time
	ExternalID     string
	DeliveryID     string
	Final          bool
	Total          string
	CreatedAt      time.Time
}

// Billing marks: things the autopilot does once per installation and
// period.
const (
	MarkFinalData = "final_data" // the ended period's last interim data
	MarkFinalize  = "finalize"   // finalizeInstallation after uninstall
)

// BillingStore keeps the autopilot's bookkeeping.
type BillingStore interface {
	// InvoiceRun returns the run for a period, ok false when none.
	InvoiceRun(ctx context.Context, installationID string, periodStart time.Time) (InvoiceRun, bool, error)
	// InvoiceRuns lists an installation's runs, newest period first.
	InvoiceRuns(ctx context.Context, installationID string) ([]InvoiceRun, error)
	// Marked reports whether a mark was claimed.
	Marked(ctx context.Context, installationID, kind string, periodStart time.Time) (bool, error)
	// Draw brings the amounts drawn from prepaid balances in a period up to
	// draws (the period's amounts so far): only the increment since the
	// last draw leaves the balance. It returns every balance after it.
	Draw(ctx context.Context, installationID string, periodStart time.Time, draws []billing.Draw) ([]Balance, error)
}

// BillingTx is what the autopilot records in the transaction that queues a
// delivery; a false claim means another run queued it already.
type BillingTx interface {
	ClaimInvoiceRun(ctx context.Context, run InvoiceRun) (bool, error)
	ClaimMark(ctx context.Context, installationID, kind string, periodStart time.Time, deliveryID string) (bool, error)
}

// Pricing converts a catalog plan into the billing package's plan.
func (p BillingPlan) Pricing() (billing.Plan, error) {
	out := billing.Plan{ID: p.ID, Name: p.Name, Type: p.Type, Meters: make([]billing.Meter, 0, len(p.Meters))}
	if p.Price != "" {
		price, err := money.Parse(p.Price)
		if err != nil {
			return billing.Plan{}, fmt.Errorf("plan %q: price: %w", p.ID, err)
		}
		out.Price = &price
	}
	for _, m := range p.Meters {
		bm := billing.Meter{Name: m.Name, Units: m.Units, Type: m.Type}
		var err error
		if bm.Price, err = money.Parse(m.Price); err != nil {
			return billing.Plan{}, fmt.Errorf("plan %q: meter %q: price: %w", p.ID, m.Name, err)
		}
		if m.Included != "" {
			if bm.Included, err = money.Parse(m.Included); err != nil {
				return billing.Plan{}, fmt.Errorf("plan %q: meter %q: included: %w", p.ID, m.Name, err)
			}
		}
		out.Meters = append(out.Meters, bm)
	}
	return out, billing.ValidatePlan(out)
}

// Subjects are what an installation is billed for: itself when its plan is
// installation-scoped, and each resource on a plan of the catalog. Plans
// with neither a price nor meters bill nothing and are left out.
func (c Catalog) Subjects(in Installation, resources []Resource) ([]billing.Subject, error) {
	var out []billing.Subject
	add := func(resourceID, name, planID string) error {
		pl, ok := c.Plan(planID)
		if !ok || (pl.Price == "" && len(pl.Meters) == 0) {
			return nil
		}
		p, err := pl.Pricing()
		if err != nil {
			return err
		}
		out = append(out, billing.Subject{ResourceID: resourceID, Name: name, Plan: p})
		return nil
	}
	if pl, ok := c.Plan(in.BillingPlanID); ok && pl.InstallationScoped() {
		if err := add("", in.Account.Name, in.BillingPlanID); err != nil {
			return nil, err
		}
	}
	for _, r := range resources {
		if r.BillingPlanID == "" {
			continue
		}
		if err := add(r.ID, r.Name, r.BillingPlanID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// OpenPeriod prices an installation's open billing period as of now: what
// the next interim billing data carries.
func OpenPeriod(ctx context.Context, c Catalog, rs ResourceStore, us UsageStore, in Installation, now time.Time) (billing.Statement, error) {
	resources, err := rs.ListResources(ctx, in.ID)
	if err != nil {
		return billing.Statement{}, err
	}
	subjects, err := c.Subjects(in, resources)
	if err != nil {
		return billing.Statement{}, err
	}
	start, end := billing.Period(now)
	records, err := us.Usage(ctx, in.ID, start, end)
	if err != nil {
		return billing.Statement{}, err
	}
	return billing.Compute(subjects, records, start, end, now)
}
