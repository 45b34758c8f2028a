package db

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/jmoiron/sqlx"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// Balances implements installations.BalanceStore.
type Balances struct {
	db *DB
}

// NewBalances returns the prepaid balance store.
func NewBalances(d *DB) *Balances { return &Balances{db: d} }

var _ installations.BalanceStore = (*Balances)(nil)

// CreditInvoice claims the invoice with a row keyed on (installation,
// invoice): a concurrent repeat waits on that key and then finds the claim,
// so the credits apply once.
func (s *Balances) CreditInvoice(ctx context.Context, installationID, invoiceID string, credits []installations.Credit) (installations.CreditResult, error) {
	var out installations.CreditResult
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		now := s.db.now()
		res, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO balance_credits (installation_id, invoice_id, created_at)
			VALUES (?, ?, ?) ON CONFLICT (installation_id, invoice_id) DO NOTHING`), installationID, invoiceID, Millis(now))
		if err != nil {
			return fmt.Errorf("claim credit: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			out, err = creditAnswer(ctx, tx, installationID, invoiceID)
			return err
		}
		out = installations.CreditResult{At: FromMillis(Millis(now))}
		out.Balances, err = applyCredits(ctx, tx, installationID, credits, Millis(now))
		if err != nil {
			return err
		}
		b, _ := json.Marshal(out.Balances)
		_, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE balance_credits SET answer = ? WHERE installation_id = ? AND invoice_id = ?`),
			string(b), installationID, invoiceID)
		return err
	})
	return out, err
}

// applyCredits adds each credit and returns the touched balances after it,
// one per resource in first-seen order. A sum beyond int64 cents refuses
// the whole credit (Unprocessable): a wrapped sum would be a debt.
func applyCredits(ctx context.Context, tx *sqlx.Tx, inst string, credits []installations.Credit, now int64) ([]installations.Balance, error) {
	var touched []string
	for _, c := range credits {
		if err := addCredit(ctx, tx, inst, c, now); err != nil {
			return nil, err
		}
		if !slices.Contains(touched, c.ResourceID) {
			touched = append(touched, c.ResourceID)
		}
	}
	out := make([]installations.Balance, 0, len(touched))
	for _, rid := range touched {
		var cents int64
		if err := tx.GetContext(ctx, &cents, tx.Rebind(`SELECT cents FROM balances WHERE installation_id = ? AND resource_id = ?`),
			inst, rid); err != nil {
			return nil, fmt.Errorf("read balance: %w", err)
		}
		out = append(out, installations.Balance{ResourceID: rid, Cents: cents})
	}
	return out, nil
}

var errCreditRange error = apperr.New(apperr.Unprocessable, "amount_out_of_range",
	"the invoice's credits take a balance beyond what it can hold; nothing was credited")

// addCredit adds one credit unless the sum would leave int64: the guard in
// the UPDATE keeps the arithmetic inside the range on both databases
// (PostgreSQL would fail the statement, SQLite would turn the sum into a
// float).
func addCredit(ctx context.Context, tx *sqlx.Tx, inst string, c installations.Credit, now int64) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO balances (installation_id, resource_id, cents, updated_at)
		VALUES (?, ?, 0, ?) ON CONFLICT (installation_id, resource_id) DO NOTHING`), inst, c.ResourceID, now); err != nil {
		return fmt.Errorf("credit balance: %w", err)
	}
	guard, limit := `cents <= ?`, int64(math.MaxInt64)-c.Cents
	if c.Cents < 0 {
		guard, limit = `cents >= ?`, math.MinInt64-c.Cents
	}
	res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE balances SET cents = cents + ?, updated_at = ?
		WHERE installation_id = ? AND resource_id = ? AND `+guard), c.Cents, now, inst, c.ResourceID, limit)
	if err != nil {
		return fmt.Errorf("credit balance: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return cmp.Or(err, errCreditRange)
	}
	return nil
}

func creditAnswer(ctx context.Context, tx *sqlx.Tx, inst, invoiceID string) (installations.CreditResult, error) {
	var row struct {
		Answer    string `db:"answer"`
		CreatedAt int64  `db:"created_at"`
	}
	if err := tx.GetContext(ctx, &row, tx.Rebind(`SELECT answer, created_at FROM balance_credits
		WHERE installation_id = ? AND invoice_id = ?`), inst, invoiceID); err != nil {
		return installations.CreditResult{}, fmt.Errorf("read credit: %w", err)
	}
	out := installations.CreditResult{At: FromMillis(row.CreatedAt)}
	if err := json.Unmarshal([]byte(row.Answer), &out.Balances); err != nil {
		return installations.CreditResult{}, fmt.Errorf("decode credit: %w", err)
	}
	return out, nil
}

// Balances lists an installation's balances, installation first.
func (s *Balances) Balances(ctx context.Context, installationID string) ([]installations.Balance, error) {
	var rows []struct {
		ResourceID string `db:"resource_id"`
		Cents      int64  `db:"cents"`
	}
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT resource_id, cents FROM balances
		WHERE installation_id = ? ORDER BY resource_id`), installationID); err != nil {
		return nil, fmt.Errorf("list balances: %w", err)
	}
	out := make([]installations.Balance, len(rows))
	for i, r := range rows {
		out[i] = installations.Balance{ResourceID: r.ResourceID, Cents: r.Cents}
	}
	return out, nil
}
