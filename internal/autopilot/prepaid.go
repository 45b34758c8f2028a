package autopilot

import (
	"context"
	"time"

	"github.com/vercel-partner/partner-server/internal/billing"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/money"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// balances draws the open period's prepaid usage and sends the balances.
func (a *Autopilot) balances(ctx context.Context, r *Report, id string, st billing.Statement, now time.Time) error {
	res, err := a.draw(ctx, id, st)
	if err != nil || res.Balances == nil {
		return err
	}
	a.suspendExhausted(ctx, r, id, st, res)
	body := &vercelapi.PrepaymentBalances{Timestamp: vercelapi.NewTime(now), Balances: make([]vercelapi.Balance, len(res.Balances))}
	for i, b := range res.Balances {
		body.Balances[i] = vercelapi.Balance{ResourceID: b.ResourceID, CurrencyValueInCents: b.Cents}
	}
	w := deliveries.SubmitBalances(id, body)
	w.Background = true
	return a.enqueue(ctx, &r.Balances, w)
}

// draw applies the statement's prepaid draws (a zero result when it has
// none). A balance stops at zero; the first shortfall of a subject in the
// period goes on the feed in the same transaction.
func (a *Autopilot) draw(ctx context.Context, id string, st billing.Statement) (installations.DrawResult, error) {
	draws, err := billing.Drawdown(st)
	if err != nil || len(draws) == 0 {
		return installations.DrawResult{}, err
	}
	res, err := a.Billing.Draw(ctx, id, st.PeriodStart, draws, announceShortfall(id, st))
	if res.Balances == nil && err == nil {
		res.Balances = []installations.Balance{}
	}
	return res, err
}

// announceShortfall puts resource.prepaid_exhausted on the feed for each
// subject whose balance first fell short in the period, saying whether the
// rest is invoiced (bill) or the resource is to be suspended (suspend).
func announceShortfall(id string, st billing.Statement) func(context.Context, installations.Tx, []installations.Drawn) error {
	return func(ctx context.Context, tx installations.Tx, drawn []installations.Drawn) error {
		for _, d := range drawn {
			sub, ok := st.Subject(d.ResourceID)
			if !d.Exhausted || !ok {
				continue
			}
			if err := tx.AppendEvent(ctx, installations.NewEvent{Type: installations.EventPrepaidExhausted,
				InstallationID: id, Subject: d.ResourceID, Data: map[string]any{
					"resourceId": d.ResourceID, "billingPlanId": sub.Plan.ID, "prepaidExhausted": sub.Plan.Exhausted,
					"period":    map[string]string{"start": rfc3339(st.PeriodStart), "end": rfc3339(st.PeriodEnd)},
					"uncovered": money.FromCents(d.Uncovered).StringFixed(2),
				}}); err != nil {
				return err
			}
		}
		return nil
	}
}

// uncovered lists the prepaid amounts the balances could not cover.
func uncovered(res installations.DrawResult) []billing.Draw {
	var out []billing.Draw
	for _, d := range res.Drawn {
		if d.Uncovered > 0 {
			out = append(out, billing.Draw{ResourceID: d.ResourceID, Cents: d.Uncovered})
		}
	}
	return out
}

// suspendExhausted suspends each resource whose plan says suspend on the
// draw that first left its usage uncovered in the period (the feed has
// resource.prepaid_exhausted already). A suspension that fails is logged;
// the resource's service hears of the shortfall from the feed all the same.
func (a *Autopilot) suspendExhausted(ctx context.Context, r *Report, id string, st billing.Statement, res installations.DrawResult) {
	if a.Suspender == nil {
		return
	}
	for _, d := range res.Drawn {
		sub, ok := st.Subject(d.ResourceID)
		if !d.Exhausted || !ok || d.ResourceID == "" || !sub.Plan.Suspends() {
			continue
		}
		_, dl, err := a.Suspender.Suspend(ctx, "", id, d.ResourceID)
		if err != nil {
			a.Log.Error("could not suspend a resource whose prepaid balance ran out", "installation_id", id,
				"resource_id", d.ResourceID, "err", err)
			continue
		}
		if dl.ID != "" {
			r.Suspended = append(r.Suspended, d.ResourceID)
		}
	}
}
