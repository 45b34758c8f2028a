package autopilot

import (
	"time"

	"github.com/vercel-partner/partner-server/internal/billing"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// billingData is the submitBillingData request for a statement.
func billingData(id string, st billing.Statement, now time.Time, local deliveries.Local) deliveries.Write {
	body := &vercelapi.BillingData{
		Timestamp: vercelapi.NewTime(now),
		EOD:       vercelapi.NewTime(billing.EOD(now, st.PeriodStart, st.PeriodEnd)),
		Period:    period(st),
		Billing:   vercelapi.BillingItems(items(st.BillingItems())...),
		Usage:     usage(st.Usage()),
	}
	w := deliveries.SubmitBillingData(id, body)
	w.Local, w.Background = local, true
	return w
}

// invoiceBody is the submitInvoice request with items for an ended (or,
// final, a partial) period.
func invoiceBody(id string, st billing.Statement, in []billing.Item, final bool) *vercelapi.InvoiceRequest {
	return &vercelapi.InvoiceRequest{
		ExternalID:  billing.ExternalID(id, st.PeriodStart),
		InvoiceDate: vercelapi.NewTime(billing.InvoiceDate(st.PeriodStart, st.PeriodEnd)),
		Memo:        st.PeriodStart.Format("January 2006"),
		Period:      period(st),
		Items:       items(in),
		Final:       final,
	}
}

func period(st billing.Statement) vercelapi.Period {
	return vercelapi.Period{Start: vercelapi.NewTime(st.PeriodStart), End: vercelapi.NewTime(st.PeriodEnd)}
}

func items(in []billing.Item) []vercelapi.Item {
	out := make([]vercelapi.Item, len(in))
	for i, it := range in {
		out[i] = vercelapi.Item{BillingPlanID: it.BillingPlanID, ResourceID: it.ResourceID, Name: it.Name,
			Details: it.Details, Price: vercelapi.Money(it.Price), Quantity: it.Quantity.Number(),
			Units: it.Units, Total: vercelapi.Money(it.Total)}
	}
	return out
}

func usage(in []billing.Usage) []vercelapi.Usage {
	out := make([]vercelapi.Usage, len(in))
	for i, u := range in {
		out[i] = vercelapi.Usage{ResourceID: u.ResourceID, Name: u.Name, Type: u.Type, Units: u.Units,
			DayValue: u.DayValue.Number(), PeriodValue: u.PeriodValue.Number()}
		if u.PlanValue != nil {
			n := u.PlanValue.Number()
			out[i].PlanValue = &n
		}
	}
	return out
}
