package deliveries

import (
	"context"
	"encoding/json"

	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/money"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// recordInvoice keeps Vercel's invoiceId of a submitted invoice, so the
// dashboard can list invoices and refunds can name them.
func recordInvoice(ctx context.Context, tx installations.Tx, d Delivery, body []byte) error {
	var res vercelapi.SubmitInvoiceResult
	if json.Unmarshal(d.Result, &res) != nil || res.InvoiceID == "" {
		return nil
	}
	var req vercelapi.InvoiceRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return err
	}
	return tx.PutInvoice(ctx, installations.Invoice{
		InstallationID: d.InstallationID, ID: res.InvoiceID, ExternalID: req.ExternalID,
		Total: invoiceTotal(req), Test: req.Test != nil, State: vercelapi.InvoicePending,
		PeriodStart: req.Period.Start.Time, PeriodEnd: req.Period.End.Time,
	})
}

// invoiceTotal is the sum of item totals less discounts, as a decimal.
func invoiceTotal(req vercelapi.InvoiceRequest) string {
	var sum money.Decimal
	for _, it := range req.Items {
		if m, err := money.Parse(string(it.Total)); err == nil {
			sum = sum.Add(m)
		}
	}
	for _, dc := range req.Discounts {
		if m, err := money.Parse(string(dc.Amount)); err == nil {
			sum = sum.Sub(m)
		}
	}
	return sum.StringFixed(2)
}
