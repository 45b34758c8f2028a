package installations

import (
	"cmp"
	"context"
	"time"
)

// Invoice is our record of an invoice submitted to Vercel. Vercel has no
// list API, so this is how we know which invoices exist; their state is
// read from Vercel (getInvoice) or learned from webhooks.
type Invoice struct {
	InstallationID string    `json:"installationId"`
	ID             string    `json:"invoiceId"`
	ExternalID     string    `json:"externalId,omitempty"`
	Total          string    `json:"total"`
	State          string    `json:"state,omitempty"`
	Number         string    `json:"number,omitempty"` // Vercel's invoice number, once read
	Test           bool      `json:"test"`
	PeriodStart    time.Time `json:"periodStart"`
	PeriodEnd      time.Time `json:"periodEnd"`
	InvoiceDate    time.Time `json:"invoiceDate,omitzero"`
	RefundTotal    string    `json:"refundTotal,omitempty"`
	RefundReason   string    `json:"refundReason,omitempty"`
	CreatedAt      time.Time `json:"createdAt"`
	UpdatedAt      time.Time `json:"updatedAt"`
}

// Name is how every page names the invoice, the same before and after
// Vercel's webhooks: our externalId when we submitted it, else Vercel's
// invoiceId (an invoice Vercel made itself, such as a credit purchase).
// Vercel's invoice number is learned only later, so it is shown beside
// the name, never as it.
func (i Invoice) Name() string { return cmp.Or(i.ExternalID, i.ID) }

// InvoiceStore keeps our record of invoices.
type InvoiceStore interface {
	PutInvoice(ctx context.Context, inv Invoice) error
	GetInvoice(ctx context.Context, installationID, id string) (Invoice, error)
	ListInvoices(ctx context.Context, installationID string) ([]Invoice, error)
}
