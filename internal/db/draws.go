package db

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/vercel-partner/partner-server/internal/billing"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/money"
)

// Draw moves each prepaid subject's period account up (or down) to its
// draw; then, when set, runs in the same transaction. Each draw row and
// balance row is locked by an UPDATE before it is read (PostgreSQL; SQLite
// has one writer), so concurrent runs account each increment once.
func (s *Billing) Draw(ctx context.Context, installationID string, periodStart time.Time, draws []billing.Draw,
	then func(ctx context.Context, tx installations.Tx, drawn []installations.Drawn) error) (installations.DrawResult, error) {
	var drawn []installations.Drawn
	err := s.db.Tx(ctx, func(x *sqlx.Tx) error {
		drawn = drawn[:0]
		now := Millis(s.db.now())
		for _, d := range draws {
			out, err := drawOne(ctx, x, installationID, Millis(periodStart), d, now)
			if err != nil {
				return err
			}
			drawn = append(drawn, out)
		}
		if then == nil {
			return nil
		}
		return then(ctx, tx{x: x, d: s.db}, drawn)
	})
	if err != nil {
		return installations.DrawResult{}, err
	}
	bal, err := NewBalances(s.db).Balances(ctx, installationID)
	return installations.DrawResult{Balances: bal, Drawn: drawn}, err
}

// drawOne accounts the increment of one subject's period amount: what the
// balance holds is taken from it, the rest is uncovered. A decrease gives
// back uncovered cents first, then to the balance.
func drawOne(ctx context.Context, x *sqlx.Tx, inst string, period int64, d billing.Draw, now int64) (installations.Drawn, error) {
	key := []any{inst, d.ResourceID, period}
	out := installations.Drawn{ResourceID: d.ResourceID}
	if _, err := x.ExecContext(ctx, x.Rebind(`INSERT INTO balance_draws (installation_id, resource_id, period_start, cents)
		VALUES (?, ?, ?, 0) ON CONFLICT (installation_id, resource_id, period_start) DO NOTHING`), key...); err != nil {
		return out, fmt.Errorf("draw: %w", err)
	}
	if _, err := x.ExecContext(ctx, x.Rebind(`UPDATE balance_draws SET cents = cents
		WHERE installation_id = ? AND resource_id = ? AND period_start = ?`), key...); err != nil {
		return out, fmt.Errorf("draw: %w", err)
	}
	var row struct {
		Cents     int64 `db:"cents"`
		Uncovered int64 `db:"uncovered"`
	}
	if err := x.GetContext(ctx, &row, x.Rebind(`SELECT cents, uncovered FROM balance_draws
		WHERE installation_id = ? AND resource_id = ? AND period_start = ?`), key...); err != nil {
		return out, fmt.Errorf("draw: %w", err)
	}
	out.Cents, out.Uncovered = row.Cents, row.Uncovered
	accounted, err := money.AddCents(row.Cents, row.Uncovered)
	if err != nil {
		return out, err
	}
	delta := d.Cents - accounted // both non-negative: no overflow
	if delta == 0 {
		return out, nil
	}
	balance, err := lockBalance(ctx, x, inst, d.ResourceID, now)
	if err != nil {
		return out, err
	}
	if delta > 0 {
		take := min(delta, max(balance, 0))
		out.Cents += take
		out.Uncovered += delta - take
		out.Exhausted = row.Uncovered == 0 && out.Uncovered > 0
		balance -= take
	} else {
		back := -delta
		forgiven := min(back, out.Uncovered)
		out.Uncovered -= forgiven
		out.Cents -= back - forgiven
		if balance, err = money.AddCents(balance, back-forgiven); err != nil {
			return out, err
		}
	}
	if _, err := x.ExecContext(ctx, x.Rebind(`UPDATE balance_draws SET cents = ?, uncovered = ?
		WHERE installation_id = ? AND resource_id = ? AND period_start = ?`), append([]any{out.Cents, out.Uncovered}, key...)...); err != nil {
		return out, fmt.Errorf("draw: %w", err)
	}
	if _, err := x.ExecContext(ctx, x.Rebind(`UPDATE balances SET cents = ?, updated_at = ?
		WHERE installation_id = ? AND resource_id = ?`), balance, now, inst, d.ResourceID); err != nil {
		return out, fmt.Errorf("draw balance: %w", err)
	}
	return out, nil
}

// lockBalance returns a balance (0 when there was none), its row locked
// for the rest of the transaction.
func lockBalance(ctx context.Context, x *sqlx.Tx, inst, resourceID string, now int64) (int64, error) {
	if _, err := x.ExecContext(ctx, x.Rebind(`INSERT INTO balances (installation_id, resource_id, cents, updated_at)
		VALUES (?, ?, 0, ?) ON CONFLICT (installation_id, resource_id) DO UPDATE SET cents = balances.cents`),
		inst, resourceID, now); err != nil {
		return 0, fmt.Errorf("lock balance: %w", err)
	}
	var cents int64
	if err := x.GetContext(ctx, &cents, x.Rebind(`SELECT cents FROM balances WHERE installation_id = ? AND resource_id = ?`),
		inst, resourceID); err != nil {
		return 0, fmt.Errorf("read balance: %w", err)
	}
	return cents, nil
}
