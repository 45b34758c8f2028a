package installations

import (
	"cmp"
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
	// DeletedResources lists the installation's resources deleted after
	// since, oldest deletion first.
	DeletedResources(ctx context.Context, installationID string, since time.Time) ([]DeletedResource, error)
}

// DeletedResource is what is kept of a deleted resource: it is still
// billed for the part of each period it lived. Every other surface treats
// it as gone.
type DeletedResource struct {
	Resource
	DeletedAt time.Time
}

// InvoiceRun is the one invoice the autopilot queues per installation and
// billing period; its key makes that invoice happen once.
type InvoiceRun struct {
	InstallationID string
	PeriodStart    time.Time
	PeriodEnd      time.Time
	ExternalID     string
	DeliveryID     string // the delivery now carrying the invoice
	Final          bool
	Total          string
	CreatedAt      time.Time
	// Requeues counts the times an operator queued the invoice again after
	// Vercel refused it; PreviousDeliveryID is the delivery refused last.
	Requeues           int
	PreviousDeliveryID string
}

// Billing marks: things the autopilot does once per installation and
// period.
const (
	MarkFinalData = "final_data" // the ended period's last interim data
	MarkFinalize  = "finalize"   // finalizeInstallation after uninstall
)

// Drawn is where a period's prepaid draws stand for one subject, in cents.
type Drawn struct {
	ResourceID string
	Cents      int64 // taken from the balance in the period so far
	Uncovered  int64 // the period's amount the balance could not cover so far
	// Exhausted is set on the draw that first left usage uncovered in the
	// period.
	Exhausted bool
}

// DrawResult is what a draw left: every balance of the installation, and
// the drawn subjects.
type DrawResult struct {
	Balances []Balance
	Drawn    []Drawn
}

// BillingStore keeps the autopilot's bookkeeping.
type BillingStore interface {
	// InvoiceRun returns the run for a period, ok false when none.
	InvoiceRun(ctx context.Context, installationID string, periodStart time.Time) (InvoiceRun, bool, error)
	// InvoiceRuns lists an installation's runs, newest period first.
	InvoiceRuns(ctx context.Context, installationID string) ([]InvoiceRun, error)
	// Marked reports whether a mark was claimed.
	Marked(ctx context.Context, installationID, kind string, periodStart time.Time) (bool, error)
	// Draw brings the amounts accounted for prepaid subjects in a period up
	// to draws (the period's amounts so far): of each increment, what the
	// balance holds leaves it and the rest is uncovered, so a balance never
	// goes below zero. A decrease gives back uncovered amounts first, then
	// to the balance. then, when not nil, runs in the same transaction.
	Draw(ctx context.Context, installationID string, periodStart time.Time, draws []billing.Draw,
		then func(ctx context.Context, tx Tx, drawn []Drawn) error) (DrawResult, error)
	// NextPeriod returns the start of the installation's oldest period not
	// yet settled (invoiced, or found to owe nothing); ok false when none
	// was recorded.
	NextPeriod(ctx context.Context, installationID string) (time.Time, bool, error)
	// SettleThrough records that every period before next is settled. It
	// never moves back.
	SettleThrough(ctx context.Context, installationID string, next time.Time) error
}

// BillingTx is what the autopilot records in the transaction that queues a
// delivery; a false claim means another run queued it already.
type BillingTx interface {
	ClaimInvoiceRun(ctx context.Context, run InvoiceRun) (bool, error)
	ClaimMark(ctx context.Context, installationID, kind string, periodStart time.Time, deliveryID string) (bool, error)
	// RequeueInvoiceRun points a period's run at delivery to, with total,
	// if it still points at from; false when it does not (another re-queue
	// came first).
	RequeueInvoiceRun(ctx context.Context, installationID string, periodStart time.Time, from, to, total string) (bool, error)
}

// Pricing converts a catalog plan into the billing package's plan.
func (p BillingPlan) Pricing() (billing.Plan, error) {
	out := billing.Plan{ID: p.ID, Name: p.Name, Type: p.Type, Meters: make([]billing.Meter, 0, len(p.Meters))}
	if p.Type == billing.Prepayment {
		out.Exhausted = cmp.Or(p.PrepaidExhausted, billing.ExhaustedBill)
	}
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
// installation-scoped, and each resource on a plan of the catalog, except
// linked ones (billed outside Vercel). Plans with neither a price nor
// meters bill nothing and are left out. A resource BilledIn marked for its
// usage only has no flat fee.
func (c Catalog) Subjects(in Installation, resources []Resource) ([]billing.Subject, error) {
	var out []billing.Subject
	add := func(resourceID, name, planID string, usageOnly bool) error {
		pl, ok := c.Plan(planID)
		if !ok || (pl.Price == "" && len(pl.Meters) == 0) {
			return nil
		}
		p, err := pl.Pricing()
		if err != nil {
			return err
		}
		if usageOnly {
			p.Price = nil
		}
		out = append(out, billing.Subject{ResourceID: resourceID, Name: name, Plan: p})
		return nil
	}
	if pl, ok := c.Plan(in.BillingPlanID); ok && pl.InstallationScoped() {
		if err := add("", in.Account.Name, in.BillingPlanID, false); err != nil {
			return nil, err
		}
	}
	for _, r := range resources {
		if r.BillingPlanID == "" || r.Linked() {
			continue
		}
		if err := add(r.ID, r.Name, r.BillingPlanID, r.usageOnly); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// BilledIn returns the resources billed in the period [start, end): the
// live ones that were here before end and the deleted (or transferred
// away) ones that lived here in it. A live resource wins over a deleted
// one with its id, and of deleted ones with one id the last deleted wins.
// A resource transferred here during the period is billed for its usage
// only: the installation it came from pays that period's flat fee, as it
// does for a resource deleted mid-period.
func BilledIn(live []Resource, deleted []DeletedResource, start, end time.Time) []Resource {
	out := make([]Resource, 0, len(live)+len(deleted))
	seen := make(map[string]int, len(live)+len(deleted))
	for _, r := range live {
		if r.billedSince().Before(end) {
			seen[r.ID] = -1
			out = append(out, r.arrivedIn(start))
		}
	}
	for _, d := range deleted {
		if !d.billedSince().Before(end) || !d.DeletedAt.After(start) {
			continue
		}
		switch i, ok := seen[d.ID]; {
		case !ok:
			seen[d.ID] = len(out)
			out = append(out, d.arrivedIn(start))
		case i >= 0:
			out[i] = d.arrivedIn(start) // deleted ones come oldest first
		}
	}
	return out
}

// arrivedIn marks r for its usage only when a transfer brought it here in
// the period starting at start.
func (r Resource) arrivedIn(start time.Time) Resource {
	r.usageOnly = r.ArrivedAt != nil && !r.ArrivedAt.Before(start)
	return r
}

// OpenPeriod prices an installation's open billing period as of now: what
// the next interim billing data carries, resources deleted in the period
// included.
func OpenPeriod(ctx context.Context, c Catalog, rs ResourceStore, us UsageStore, in Installation, now time.Time) (billing.Statement, error) {
	start, end := billing.Period(now)
	resources, err := rs.ListResources(ctx, in.ID)
	if err != nil {
		return billing.Statement{}, err
	}
	deleted, err := us.DeletedResources(ctx, in.ID, start)
	if err != nil {
		return billing.Statement{}, err
	}
	subjects, err := c.Subjects(in, BilledIn(resources, deleted, start, end))
	if err != nil {
		return billing.Statement{}, err
	}
	records, err := us.Usage(ctx, in.ID, start, end)
	if err != nil {
		return billing.Statement{}, err
	}
	return billing.Compute(subjects, records, start, end, now)
}

// endOfTime is later than any period: every live resource counts.
var endOfTime = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// Metered is what usage may be reported for: a subject's meters and, for
// a deleted resource, when it was deleted (later usage is refused).
type Metered struct {
	Meters    []billing.Meter
	DeletedAt *time.Time
	// ArrivedAt is when a transfer brought the resource here: earlier
	// usage belongs to the installation it came from.
	ArrivedAt *time.Time
}

// UsageTargets returns, by resource id ("" the installation), the
// subjects usage may be reported for from since on: the live ones and the
// resources deleted after since.
func UsageTargets(ctx context.Context, c Catalog, rs ResourceStore, us UsageStore, in Installation, since time.Time) (map[string]Metered, error) {
	resources, err := rs.ListResources(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	deleted, err := us.DeletedResources(ctx, in.ID, since)
	if err != nil {
		return nil, err
	}
	subjects, err := c.Subjects(in, BilledIn(resources, deleted, since, endOfTime))
	if err != nil {
		return nil, err
	}
	live := make(map[string]bool, len(resources))
	arrived := make(map[string]*time.Time, len(resources))
	for _, r := range resources {
		live[r.ID] = true
		arrived[r.ID] = r.ArrivedAt
	}
	gone := make(map[string]time.Time, len(deleted))
	for _, d := range deleted {
		gone[d.ID] = d.DeletedAt
	}
	out := make(map[string]Metered, len(subjects))
	for _, s := range subjects {
		m := Metered{Meters: s.Plan.Meters, ArrivedAt: arrived[s.ResourceID]}
		if at, ok := gone[s.ResourceID]; ok && !live[s.ResourceID] && s.ResourceID != "" {
			m.DeletedAt = &at
		}
		out[s.ResourceID] = m
	}
	return out, nil
}

// Unbilled is what an installation may still owe for, from Since, the
// start of its oldest billing period not yet settled: its live resources,
// the resources deleted since (still billed for the part of a period
// they lived) and whether any usage was reported since.
type Unbilled struct {
	Since   time.Time
	Live    []Resource
	Deleted []DeletedResource
	Usage   bool
}

// UnsettledFrom is the start of the installation's oldest billing period
// not yet settled: its billing cursor (next, when ok), or else the period
// it was created in (now's, when unknown).
func UnsettledFrom(in Installation, next time.Time, ok bool, now time.Time) time.Time {
	created := in.CreatedAt
	if created.IsZero() {
		created = now
	}
	first, _ := billing.Period(created)
	if !ok || next.Before(first) {
		return first
	}
	return next
}
