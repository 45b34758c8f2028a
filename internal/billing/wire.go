package billing

import (
	"strings"

	"github.com/vercel-partner/partner-server/internal/money"
)

// Item is a billed line in Vercel's wire shape (billing data and invoices).
// Price and Total are decimal strings; Quantity marshals as an exact JSON
// number.
type Item struct {
	BillingPlanID string        `json:"billingPlanId"`
	ResourceID    string        `json:"resourceId,omitempty"`
	Name          string        `json:"name"`
	Details       string        `json:"details,omitempty"`
	Price         string        `json:"price"`
	Quantity      money.Decimal `json:"quantity"`
	Units         string        `json:"units"`
	Total         string        `json:"total"`
}

// Usage is one meter's values in Vercel's wire shape; the numbers marshal
// as exact JSON numbers.
type Usage struct {
	ResourceID  string         `json:"resourceId,omitempty"`
	Name        string         `json:"name"`
	Type        string         `json:"type"`
	Units       string         `json:"units"`
	DayValue    money.Decimal  `json:"dayValue"`
	PeriodValue money.Decimal  `json:"periodValue"`
	PlanValue   *money.Decimal `json:"planValue,omitempty"`
}

// BillingItems returns every line as an Item, for submitBillingData.
func (s Statement) BillingItems() []Item {
	items := make([]Item, 0, len(s.Lines))
	for _, l := range s.Lines {
		items = append(items, l.item())
	}
	return items
}

// InvoiceItems returns the lines an invoice charges: those of subscription
// plans with a non-zero total. Prepayment lines are drawn from balances
// instead (see Drawdown), since Vercel invoices subscription plans only.
func (s Statement) InvoiceItems() []Item {
	var items []Item
	for _, l := range s.Lines {
		if l.invoiced() {
			items = append(items, l.item())
		}
	}
	return items
}

// InvoiceTotal is the sum of the totals of InvoiceItems; an invoice is due
// only when it is non-zero.
func (s Statement) InvoiceTotal() money.Decimal {
	var total money.Decimal
	for _, l := range s.Lines {
		if l.invoiced() {
			total = total.Add(l.Total)
		}
	}
	return total
}

func (l Line) invoiced() bool { return l.PlanType == Subscription && !l.Total.IsZero() }

func (l Line) item() Item {
	it := Item{
		BillingPlanID: l.PlanID,
		ResourceID:    l.ResourceID,
		Name:          l.ItemName(),
		Price:         l.Price.StringFixed(max(2, l.Price.Scale())),
		Quantity:      l.Quantity,
		Units:         l.Units,
		Total:         l.Total.StringFixed(2),
	}
	if !l.Flat && !l.Included.IsZero() {
		it.Details = l.PeriodValue.String() + " " + l.Units + " used, " + l.Included.String() + " included"
	}
	return it
}

// ItemName is the line's name on an invoice or in billing data: what is
// charged and for which resource ("Pro plan · main-db", "queries ·
// main-db"), so that one plan on three resources is not three identical
// lines. Vercel takes the name as free text; resourceId still says which
// resource it is.
func (l Line) ItemName() string {
	name := l.Name
	if l.Flat {
		name = PlanLabel(name)
	}
	return withSubject(name, l.Subject)
}

// PlanLabel names a plan's flat fee: "Pro plan" for the plan "Pro".
func PlanLabel(plan string) string {
	if strings.HasSuffix(strings.ToLower(plan), "plan") {
		return plan
	}
	return plan + " plan"
}

// withSubject appends the resource's name, when there is one.
func withSubject(name, subject string) string {
	if subject == "" {
		return name
	}
	return name + " · " + subject
}

// Usage returns one Usage per meter line. PlanValue is the meter's included
// quantity when it has one.
func (s Statement) Usage() []Usage {
	usage := make([]Usage, 0, len(s.Lines))
	for _, l := range s.Lines {
		if l.Flat {
			continue
		}
		u := Usage{
			ResourceID: l.ResourceID, Name: l.Name, Type: l.Type, Units: l.Units,
			DayValue: l.DayValue, PeriodValue: l.PeriodValue,
		}
		if !l.Included.IsZero() {
			u.PlanValue = &l.Included
		}
		usage = append(usage, u)
	}
	return usage
}
