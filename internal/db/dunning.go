package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/vercel-partner/partner-server/internal/installations"
)

// Dunning implements installations.DunningStore; the webhook's and the
// dunning use case's transactions write through installations.Tx.
type Dunning struct{ db *DB }

// NewDunning returns the dunning store.
func NewDunning(d *DB) *Dunning { return &Dunning{db: d} }

var _ installations.DunningStore = (*Dunning)(nil)

type dunningRow struct {
	InstallationID string        `db:"installation_id"`
	InvoiceID      string        `db:"invoice_id"`
	Known          bool          `db:"known"`
	Failures       int           `db:"failures"`
	LastKind       string        `db:"last_kind"`
	FirstFailedAt  int64         `db:"first_failed_at"`
	EscalatedAt    sql.NullInt64 `db:"escalated_at"`
	PaidAt         sql.NullInt64 `db:"paid_at"`
}

const dunningCols = `installation_id, invoice_id, known, failures, last_kind, first_failed_at, escalated_at, paid_at`

func (r dunningRow) domain() installations.DunningCase {
	return installations.DunningCase{InstallationID: r.InstallationID, InvoiceID: r.InvoiceID, Known: r.Known,
		Failures: r.Failures, LastKind: r.LastKind, FirstFailedAt: FromMillis(r.FirstFailedAt),
		EscalatedAt: nullTime(r.EscalatedAt), PaidAt: nullTime(r.PaidAt)}
}

func nullTime(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := FromMillis(n.Int64)
	return &t
}

// dunningCase reads one case; ok false when there is none.
func dunningCase(ctx context.Context, x *sqlx.Tx, inst, invoice string) (dunningRow, bool, error) {
	var r dunningRow
	err := x.GetContext(ctx, &r, x.Rebind(`SELECT `+dunningCols+` FROM dunning_cases
		WHERE installation_id = ? AND invoice_id = ?`), inst, invoice)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("read dunning case: %w", err)
	}
	return r, true, nil
}

func invoiceFailed(ctx context.Context, x *sqlx.Tx, inst, invoice, kind string, at time.Time) error {
	cur, ok, err := dunningCase(ctx, x, inst, invoice)
	switch {
	case err != nil:
		return err
	case !ok:
		var known int
		if err := x.GetContext(ctx, &known, x.Rebind(`SELECT COUNT(*) FROM invoices WHERE installation_id = ? AND id = ?`),
			inst, invoice); err != nil {
			return fmt.Errorf("find invoice: %w", err)
		}
		_, err = x.ExecContext(ctx, x.Rebind(`INSERT INTO dunning_cases (`+dunningCols+`) VALUES (?, ?, ?, 1, ?, ?, NULL, NULL)`),
			inst, invoice, known > 0, kind, Millis(at))
	case cur.PaidAt.Valid && Millis(at) <= cur.PaidAt.Int64:
		return nil // older than the payment: a late redelivery
	case cur.PaidAt.Valid:
		_, err = x.ExecContext(ctx, x.Rebind(`UPDATE dunning_cases SET failures = failures + 1, last_kind = ?,
			first_failed_at = ?, escalated_at = NULL, paid_at = NULL WHERE installation_id = ? AND invoice_id = ?`),
			kind, Millis(at), inst, invoice)
	default:
		_, err = x.ExecContext(ctx, x.Rebind(`UPDATE dunning_cases SET failures = failures + 1, last_kind = ?
			WHERE installation_id = ? AND invoice_id = ?`), kind, inst, invoice)
	}
	if err != nil {
		return fmt.Errorf("record invoice failure: %w", err)
	}
	return nil
}

func invoicePaid(ctx context.Context, x *sqlx.Tx, inst, invoice string, at time.Time) error {
	_, ok, err := dunningCase(ctx, x, inst, invoice)
	switch {
	case err != nil:
		return err
	case !ok:
		_, err = x.ExecContext(ctx, x.Rebind(`INSERT INTO dunning_cases (`+dunningCols+`) VALUES (?, ?, ?, 0, '', ?, NULL, ?)`),
			inst, invoice, true, Millis(at), Millis(at))
	default:
		_, err = x.ExecContext(ctx, x.Rebind(`UPDATE dunning_cases SET paid_at = ?
			WHERE installation_id = ? AND invoice_id = ? AND (paid_at IS NULL OR paid_at < ?)`), Millis(at), inst, invoice, Millis(at))
	}
	if err != nil {
		return fmt.Errorf("record invoice payment: %w", err)
	}
	return nil
}

func escalateDunning(ctx context.Context, x *sqlx.Tx, inst, invoice string, at time.Time) error {
	if _, err := x.ExecContext(ctx, x.Rebind(`UPDATE dunning_cases SET escalated_at = ?
		WHERE installation_id = ? AND invoice_id = ? AND escalated_at IS NULL AND paid_at IS NULL`), Millis(at), inst, invoice); err != nil {
		return fmt.Errorf("escalate dunning case: %w", err)
	}
	return nil
}

func putDunningSuspension(ctx context.Context, x *sqlx.Tx, s installations.DunningSuspension) error {
	if _, err := x.ExecContext(ctx, x.Rebind(`INSERT INTO dunning_suspensions (installation_id, resource_id, invoice_id, suspended_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (installation_id, resource_id) DO NOTHING`),
		s.InstallationID, s.ResourceID, s.InvoiceID, Millis(s.SuspendedAt)); err != nil {
		return fmt.Errorf("record dunning suspension: %w", err)
	}
	return nil
}

func deleteDunningSuspension(ctx context.Context, x *sqlx.Tx, inst, resourceID string) error {
	if _, err := x.ExecContext(ctx, x.Rebind(`DELETE FROM dunning_suspensions WHERE installation_id = ? AND resource_id = ?`),
		inst, resourceID); err != nil {
		return fmt.Errorf("forget dunning suspension: %w", err)
	}
	return nil
}

func setDunningNotice(ctx context.Context, x *sqlx.Tx, inst string, n json.RawMessage) error {
	var err error
	if len(n) == 0 {
		_, err = x.ExecContext(ctx, x.Rebind(`DELETE FROM dunning_notices WHERE installation_id = ?`), inst)
	} else {
		_, err = x.ExecContext(ctx, x.Rebind(`INSERT INTO dunning_notices (installation_id, notification) VALUES (?, ?)
			ON CONFLICT (installation_id) DO UPDATE SET notification = excluded.notification`), inst, string(n))
	}
	if err != nil {
		return fmt.Errorf("record dunning notice: %w", err)
	}
	return nil
}

// OpenDunningCases lists the installation's unpaid cases, oldest first.
func (s *Dunning) OpenDunningCases(ctx context.Context, inst string) ([]installations.DunningCase, error) {
	var rows []dunningRow
	if err := s.db.Read.SelectContext(ctx, &rows, s.db.Rebind(`SELECT `+dunningCols+` FROM dunning_cases
		WHERE installation_id = ? AND paid_at IS NULL ORDER BY first_failed_at, invoice_id`), inst); err != nil {
		return nil, fmt.Errorf("list dunning cases: %w", err)
	}
	return domains(rows), nil
}

type suspensionRow struct {
	InstallationID string `db:"installation_id"`
	ResourceID     string `db:"resource_id"`
	InvoiceID      string `db:"invoice_id"`
	SuspendedAt    int64  `db:"suspended_at"`
}

func (r suspensionRow) domain() installations.DunningSuspension {
	return installations.DunningSuspension{InstallationID: r.InstallationID, ResourceID: r.ResourceID,
		InvoiceID: r.InvoiceID, SuspendedAt: FromMillis(r.SuspendedAt)}
}

// DunningSuspensions lists the resources dunning suspended.
func (s *Dunning) DunningSuspensions(ctx context.Context, inst string) ([]installations.DunningSuspension, error) {
	var rows []suspensionRow
	if err := s.db.Read.SelectContext(ctx, &rows, s.db.Rebind(`SELECT installation_id, resource_id, invoice_id, suspended_at
		FROM dunning_suspensions WHERE installation_id = ? ORDER BY suspended_at, resource_id`), inst); err != nil {
		return nil, fmt.Errorf("list dunning suspensions: %w", err)
	}
	return domains(rows), nil
}

// DunningNotice is the notification dunning last set (nil: none).
func (s *Dunning) DunningNotice(ctx context.Context, inst string) (json.RawMessage, error) {
	var n string
	err := s.db.Read.GetContext(ctx, &n, s.db.Rebind(`SELECT notification FROM dunning_notices WHERE installation_id = ?`), inst)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read dunning notice: %w", err)
	}
	return json.RawMessage(n), nil
}

// InstallationsInDunning lists the installations dunning has something
// to do with: an unpaid case, a suspension or a notice.
func (s *Dunning) InstallationsInDunning(ctx context.Context) ([]string, error) {
	var ids []string
	if err := s.db.Read.SelectContext(ctx, &ids, `SELECT installation_id FROM dunning_cases WHERE paid_at IS NULL
		UNION SELECT installation_id FROM dunning_suspensions UNION SELECT installation_id FROM dunning_notices
		ORDER BY installation_id`); err != nil {
		return nil, fmt.Errorf("list installations in dunning: %w", err)
	}
	return ids, nil
}
