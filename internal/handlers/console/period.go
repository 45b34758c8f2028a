package console

import (
	"github.com/vercel-partner/partner-server/internal/billing"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// periodLayout names a billing period in paths and pages.
const periodLayout = "2006-01"

// openPeriod is the open period's usage as the next interim data carries it.
type openPeriod struct {
	Statement billing.Statement
	Lines     []usageLine
	Total     string
}

type usageLine struct {
	Subject, Name, Usage, Quantity, Units, Price, Total string
}

func openPeriodOf(st billing.Statement, res []installations.Resource) *openPeriod {
	names := map[string]string{}
	for _, s := range st.Subjects { // deleted resources are still billed for the period
		names[s.ResourceID] = s.Name
	}
	for _, r := range res {
		names[r.ID] = r.Name
	}
	o := &openPeriod{Statement: st, Total: st.Total.StringFixed(2)}
	for _, l := range st.Lines {
		u := usageLine{Subject: names[l.ResourceID], Name: l.Name, Quantity: l.Quantity.String(), Units: l.Units,
			Price: l.Price.StringFixed(max(2, l.Price.Scale())), Total: l.Total.StringFixed(2)}
		if l.ResourceID == "" {
			u.Subject = "Installation"
		}
		if !l.Flat {
			u.Usage = l.PeriodValue.String() + " " + l.Units
		}
		o.Lines = append(o.Lines, u)
	}
	return o
}
