package billing

import "github.com/vercel-partner/partner-server/internal/money"

// Draw is an amount in cents for one subject on a prepayment plan: what it
// owes its balance for the period so far (Drawdown), or the part of that
// the balance could not cover.
type Draw struct {
	ResourceID string // "": the installation
	Cents      int64
}

// Drawdown returns one Draw per subject on a prepayment plan, in statement
// order: the sum of its lines' totals (each already half-up to cents, at
// the meter price). It is the period's amount to date, not an increment;
// callers subtract what they drew before. A flat fee on a prepayment plan
// is drawn too. A sum beyond int64 cents is money.ErrCentsRange.
func Drawdown(s Statement) ([]Draw, error) {
	var draws []Draw
	index := make(map[string]int)
	for _, l := range s.Lines {
		if l.PlanType != Prepayment {
			continue
		}
		cents, err := l.Total.Cents()
		if err != nil {
			return nil, err
		}
		i, ok := index[l.ResourceID]
		if !ok {
			i = len(draws)
			index[l.ResourceID] = i
			draws = append(draws, Draw{ResourceID: l.ResourceID})
		}
		if draws[i].Cents, err = money.AddCents(draws[i].Cents, cents); err != nil {
			return nil, err
		}
	}
	return draws, nil
}

// Invoice returns what the period's invoice charges and its total: the
// subscription lines (InvoiceItems) and, for each subject on a prepayment
// plan whose balance did not cover its usage (uncovered, in cents), one
// item of that amount, unless its plan suspends instead of billing.
func (s Statement) Invoice(uncovered []Draw) ([]Item, money.Decimal) {
	items, total := s.InvoiceItems(), s.InvoiceTotal()
	for _, u := range uncovered {
		sub, ok := s.Subject(u.ResourceID)
		if u.Cents <= 0 || !ok || sub.Plan.Type != Prepayment || sub.Plan.Suspends() {
			continue
		}
		amount := money.FromCents(u.Cents)
		items = append(items, Item{BillingPlanID: sub.Plan.ID, ResourceID: u.ResourceID,
			Name: withSubject(sub.Plan.Name+": usage beyond the prepaid balance", subjectName(sub)), Details: "usage the prepaid balance did not cover",
			Price: amount.StringFixed(2), Quantity: money.FromInt(1), Units: flatUnits, Total: amount.StringFixed(2)})
		total = total.Add(amount)
	}
	return items, total
}

// subjectName is how an item names its subject: the resource's name, or
// nothing for the installation.
func subjectName(s Subject) string {
	if s.ResourceID == "" {
		return ""
	}
	return s.Name
}

// Subject returns the statement's subject for a resource ("" the
// installation).
func (s Statement) Subject(resourceID string) (Subject, bool) {
	for _, sub := range s.Subjects {
		if sub.ResourceID == resourceID {
			return sub, true
		}
	}
	return Subject{}, false
}
