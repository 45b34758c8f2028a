package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// Invoices implements installations.InvoiceStore.
type Invoices struct {
	db *DB
}

// NewInvoices returns the invoice store.
func NewInvoices(d *DB) *Invoices { return &Invoices{db: d} }

type invoiceRow struct {
	InstallationID string `db:"installation_id"`
	ID             string `db:"id"`
	ExternalID     string `db:"external_id"`
	Total          string `db:"total"`
	State          string `db:"state"`
	Test           bool   `db:"test"`
	PeriodStart    int64  `db:"period_start"`
	PeriodEnd      int64  `db:"period_end"`
	Number         string `db:"number"`
	InvoiceDate    int64  `db:"invoice_date"`
	RefundTotal    string `db:"refund_total"`
	RefundReason   string `db:"refund_reason"`
	CreatedAt      int64  `db:"created_at"`
	UpdatedAt      int64  `db:"updated_at"`
}

const invoiceCols = `installation_id, id, external_id, total, state, test, period_start, period_end,
	number, invoice_date, refund_total, refund_reason, created_at, updated_at`

func (r invoiceRow) domain() installations.Invoice {
	return installations.Invoice{
		InstallationID: r.InstallationID, ID: r.ID, ExternalID: r.ExternalID, Total: r.Total, State: r.State,
		Test: r.Test, PeriodStart: FromMillis(r.PeriodStart), PeriodEnd: FromMillis(r.PeriodEnd),
		Number: r.Number, InvoiceDate: optionalTime(r.InvoiceDate), RefundTotal: r.RefundTotal, RefundReason: r.RefundReason,
		CreatedAt: FromMillis(r.CreatedAt), UpdatedAt: FromMillis(r.UpdatedAt),
	}
}

// optionalMillis stores the zero time as 0; optionalTime reads it back.
func optionalMillis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return Millis(t)
}

func optionalTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return FromMillis(ms)
}

// PutInvoice records an invoice or updates what we know of it: empty
// fields keep the stored ones. Our submission and Vercel's webhooks both
// write here and meet on the invoice id.
func (s *Invoices) PutInvoice(ctx context.Context, inv installations.Invoice) error {
	return putInvoice(ctx, s.db.DB, inv, s.db.now())
}

// putInvoice never moves a known state back to pending, where every
// invoice starts: our submission may be recorded after Vercel's paid
// webhook, and invoice.created may arrive after invoice.paid.
func putInvoice(ctx context.Context, x sqlx.ExtContext, inv installations.Invoice, at time.Time) error {
	now := Millis(at)
	q := x.Rebind(`INSERT INTO invoices (` + invoiceCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (installation_id, id) DO UPDATE SET
		external_id = CASE WHEN excluded.external_id = '' THEN invoices.external_id ELSE excluded.external_id END,
		total = CASE WHEN excluded.total = '' THEN invoices.total ELSE excluded.total END,
		state = CASE WHEN excluded.state = '' OR (excluded.state = 'pending' AND invoices.state <> '')
			THEN invoices.state ELSE excluded.state END,
		test = CASE WHEN excluded.test THEN excluded.test ELSE invoices.test END,
		number = CASE WHEN excluded.number = '' THEN invoices.number ELSE excluded.number END,
		invoice_date = CASE WHEN excluded.invoice_date = 0 THEN invoices.invoice_date ELSE excluded.invoice_date END,
		refund_total = CASE WHEN excluded.refund_total = '' THEN invoices.refund_total ELSE excluded.refund_total END,
		refund_reason = CASE WHEN excluded.refund_reason = '' THEN invoices.refund_reason ELSE excluded.refund_reason END,
		updated_at = excluded.updated_at`)
	_, err := x.ExecContext(ctx, q, inv.InstallationID, inv.ID, inv.ExternalID, inv.Total, inv.State, inv.Test,
		Millis(inv.PeriodStart), Millis(inv.PeriodEnd), inv.Number, optionalMillis(inv.InvoiceDate),
		inv.RefundTotal, inv.RefundReason, now, now)
	if err != nil {
		return fmt.Errorf("put invoice: %w", err)
	}
	return nil
}

// GetInvoice returns one recorded invoice.
func (s *Invoices) GetInvoice(ctx context.Context, installationID, id string) (installations.Invoice, error) {
	var r invoiceRow
	err := s.db.Read.GetContext(ctx, &r, s.db.Rebind(`SELECT `+invoiceCols+` FROM invoices WHERE installation_id = ? AND id = ?`), installationID, id)
	if errors.Is(err, sql.ErrNoRows) {
		return installations.Invoice{}, apperr.NotFoundf("invoice %s not found", id)
	}
	if err != nil {
		return installations.Invoice{}, fmt.Errorf("get invoice: %w", err)
	}
	return r.domain(), nil
}

// ListInvoices returns an installation's invoices, newest first.
func (s *Invoices) ListInvoices(ctx context.Context, installationID string) ([]installations.Invoice, error) {
	var rows []invoiceRow
	if err := s.db.Read.SelectContext(ctx, &rows, s.db.Rebind(`SELECT `+invoiceCols+` FROM invoices
		WHERE installation_id = ? ORDER BY created_at DESC, id`), installationID); err != nil {
		return nil, fmt.Errorf("list invoices: %w", err)
	}
	return domains(rows), nil
}
