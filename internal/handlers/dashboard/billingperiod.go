package dashboard

import (
	"cmp"
	"context"
	"time"

	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// invoicedPeriod is the invoice an open period already has.
type invoicedPeriod struct {
	Name  string // the invoice's name (installations.Invoice.Name)
	ID    string // Vercel's id, for the link; "" until Vercel accepted it
	Total string
	State string
}

// invoicedAs returns the invoice the autopilot queued for the period
// starting at start, or nil. Normally a period is invoiced only after it
// ends; a billing run with an overridden clock (the demo's "Jump to the
// end of the month") invoices it early, and the page must then not show
// its total a second time as if it were still to be billed.
func (b *Browser) invoicedAs(ctx context.Context, installationID string, start time.Time, list []installations.Invoice) (*invoicedPeriod, error) {
	if b.Billing == nil {
		return nil, nil
	}
	run, ok, err := b.Billing.InvoiceRun(ctx, installationID, start)
	if err != nil || !ok {
		return nil, err
	}
	v := &invoicedPeriod{Name: run.ExternalID, Total: run.Total}
	for _, inv := range list {
		if inv.ExternalID == run.ExternalID {
			v.ID, v.Total, v.State = inv.ID, inv.Total, inv.State
			break
		}
	}
	return v, nil
}

// invoiceItem is an invoice line with its resource's name.
type invoiceItem struct {
	vercelapi.Item
	Resource string // the resource's name, else its id; "" for the installation
}

// itemsOf names each item's resource: its current name, or its id when
// it is gone (a deleted resource is still billed for its last period).
func (b *Browser) itemsOf(ctx context.Context, installationID string, items []vercelapi.Item) []invoiceItem {
	names := map[string]string{}
	if list, err := b.Resources.ListResources(ctx, installationID); err == nil {
		for _, r := range list {
			names[r.ID] = r.Name
		}
	}
	out := make([]invoiceItem, len(items))
	for i, it := range items {
		out[i] = invoiceItem{Item: it, Resource: cmp.Or(names[it.ResourceID], it.ResourceID)}
	}
	return out
}
