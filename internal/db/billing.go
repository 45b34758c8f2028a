package db

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/billing"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/money"
)

// Billing implements installations.UsageStore and installations.BillingStore.
type Billing struct {
	db *DB
}

// NewBilling returns the usage ledger and billing bookkeeping store.
func NewBilling(d *DB) *Billing { return &Billing{db: d} }

var (
	_ installations.UsageStore   = (*Billing)(nil)
	_ installations.BillingStore = (*Billing)(nil)
	_ installations.BillingTx    = tx{}
)

type usageRow struct {
	ID         string `db:"id"`
	ResourceID string `db:"resource_id"`
	Meter      string `db:"meter"`
	Value      string `db:"value"`
	At         int64  `db:"at"`
}

func (r usageRow) record() (billing.Record, error) {
	v, err := money.Parse(r.Value)
	if err != nil {
		return billing.Record{}, fmt.Errorf("usage record %s: value: %w", r.ID, err)
	}
	return billing.Record{ID: r.ID, ResourceID: r.ResourceID, Meter: r.Meter, Value: v, At: FromMillis(r.At)}, nil
}

// usageChunk keeps each multi-row insert under SQLite's variable limit.
const usageChunk = 100

// AddUsage inserts the batch with ON CONFLICT DO NOTHING; the ids not
// inserted are known ones, compared with what is stored.
func (s *Billing) AddUsage(ctx context.Context, installationID string, records []billing.Record) (int, error) {
	added := 0
	err := s.db.Tx(ctx, func(x *sqlx.Tx) error {
		added = 0
		now := Millis(s.db.now())
		for start := 0; start < len(records); start += usageChunk {
			chunk := records[start:min(start+usageChunk, len(records))]
			n, err := insertUsage(ctx, x, installationID, chunk, start, now)
			if err != nil {
				return err
			}
			added += n
		}
		return nil
	})
	return added, err
}

// insertUsage inserts one chunk; offset is its first record's index in
// the batch, for error messages.
func insertUsage(ctx context.Context, x *sqlx.Tx, inst string, chunk []billing.Record, offset int, now int64) (int, error) {
	var q strings.Builder
	q.WriteString(`INSERT INTO usage_records (installation_id, id, resource_id, meter, value, at, created_at) VALUES `)
	args := make([]any, 0, 7*len(chunk))
	for i, r := range chunk {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?, ?, ?, ?)")
		args = append(args, inst, r.ID, r.ResourceID, r.Meter, r.Value.String(), Millis(r.At), now)
	}
	q.WriteString(` ON CONFLICT (installation_id, id) DO NOTHING`)
	res, err := x.ExecContext(ctx, x.Rebind(q.String()), args...)
	if err != nil {
		return 0, fmt.Errorf("insert usage: %w", unavailable(err))
	}
	n, err := res.RowsAffected()
	if err != nil || int(n) == len(chunk) {
		return int(n), err
	}
	return int(n), checkKnown(ctx, x, inst, chunk, offset)
}

// checkKnown compares every record of a chunk some of which were not
// inserted with what is stored: a record just inserted matches itself, a
// skipped one must match the earlier record with its id, or it conflicts.
func checkKnown(ctx context.Context, x *sqlx.Tx, inst string, chunk []billing.Record, offset int) error {
	ids := make([]string, len(chunk))
	for i, r := range chunk {
		ids[i] = r.ID
	}
	q, args, err := sqlx.In(`SELECT id, resource_id, meter, value, at FROM usage_records
		WHERE installation_id = ? AND id IN (?)`, inst, ids)
	if err != nil {
		return err
	}
	var rows []usageRow
	if err := x.SelectContext(ctx, &rows, x.Rebind(q), args...); err != nil {
		return fmt.Errorf("read known usage: %w", err)
	}
	stored := make(map[string]usageRow, len(rows))
	for _, r := range rows {
		stored[r.ID] = r
	}
	for i, r := range chunk {
		if !sameUsage(stored[r.ID], r) {
			key := fmt.Sprintf("records[%d].id", offset+i)
			e := apperr.New(apperr.Conflict, "usage_conflict", key+" was already recorded with a different content; nothing was kept")
			e.Fields = []apperr.Field{{Key: key, Message: "already recorded with a different content"}}
			return e
		}
	}
	return nil
}

func sameUsage(row usageRow, r billing.Record) bool {
	v, err := money.Parse(row.Value)
	return err == nil && row.ResourceID == r.ResourceID && row.Meter == r.Meter &&
		row.At == Millis(r.At) && v.Cmp(r.Value) == 0
}

// Usage lists records in [start, end).
func (s *Billing) Usage(ctx context.Context, installationID string, start, end time.Time) ([]billing.Record, error) {
	var rows []usageRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT id, resource_id, meter, value, at FROM usage_records
		WHERE installation_id = ? AND at >= ? AND at < ? ORDER BY at, id`), installationID, Millis(start), Millis(end)); err != nil {
		return nil, fmt.Errorf("list usage: %w", err)
	}
	out := make([]billing.Record, len(rows))
	for i, r := range rows {
		var err error
		if out[i], err = r.record(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

type runRow struct {
	InstallationID string `db:"installation_id"`
	PeriodStart    int64  `db:"period_start"`
	PeriodEnd      int64  `db:"period_end"`
	ExternalID     string `db:"external_id"`
	DeliveryID     string `db:"delivery_id"`
	Final          int    `db:"final"`
	Total          string `db:"total"`
	CreatedAt      int64  `db:"created_at"`
	Requeues       int    `db:"requeues"`
	PreviousID     string `db:"previous_delivery_id"`
}

func (r runRow) domain() installations.InvoiceRun {
	return installations.InvoiceRun{InstallationID: r.InstallationID, PeriodStart: FromMillis(r.PeriodStart),
		PeriodEnd: FromMillis(r.PeriodEnd), ExternalID: r.ExternalID, DeliveryID: r.DeliveryID,
		Final: r.Final != 0, Total: r.Total, CreatedAt: FromMillis(r.CreatedAt),
		Requeues: r.Requeues, PreviousDeliveryID: r.PreviousID}
}

const runCols = `installation_id, period_start, period_end, external_id, delivery_id, final, total, created_at`

const runReadCols = runCols + `, requeues, previous_delivery_id`

// InvoiceRun returns the run for one period.
func (s *Billing) InvoiceRun(ctx context.Context, installationID string, periodStart time.Time) (installations.InvoiceRun, bool, error) {
	var rows []runRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT `+runReadCols+` FROM invoice_runs
		WHERE installation_id = ? AND period_start = ?`), installationID, Millis(periodStart)); err != nil {
		return installations.InvoiceRun{}, false, fmt.Errorf("get invoice run: %w", err)
	}
	if len(rows) == 0 {
		return installations.InvoiceRun{}, false, nil
	}
	return rows[0].domain(), true, nil
}

// InvoiceRuns lists an installation's runs, newest period first.
func (s *Billing) InvoiceRuns(ctx context.Context, installationID string) ([]installations.InvoiceRun, error) {
	var rows []runRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT `+runReadCols+` FROM invoice_runs
		WHERE installation_id = ? ORDER BY period_start DESC`), installationID); err != nil {
		return nil, fmt.Errorf("list invoice runs: %w", err)
	}
	return domains(rows), nil
}

// Marked reports whether a billing mark was claimed.
func (s *Billing) Marked(ctx context.Context, installationID, kind string, periodStart time.Time) (bool, error) {
	var n int
	if err := s.db.GetContext(ctx, &n, s.db.Rebind(`SELECT COUNT(*) FROM billing_marks
		WHERE installation_id = ? AND kind = ? AND period_start = ?`), installationID, kind, Millis(periodStart)); err != nil {
		return false, fmt.Errorf("read billing mark: %w", err)
	}
	return n > 0, nil
}

// ClaimInvoiceRun inserts the run unless one exists for its period.
func (t tx) ClaimInvoiceRun(ctx context.Context, run installations.InvoiceRun) (bool, error) {
	final := 0
	if run.Final {
		final = 1
	}
	res, err := t.x.ExecContext(ctx, t.x.Rebind(`INSERT INTO invoice_runs (`+runCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (installation_id, period_start) DO NOTHING`), run.InstallationID, Millis(run.PeriodStart),
		Millis(run.PeriodEnd), run.ExternalID, run.DeliveryID, final, run.Total, Millis(t.d.now()))
	if err != nil {
		return false, fmt.Errorf("claim invoice run: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ClaimMark inserts a billing mark unless it exists.
func (t tx) ClaimMark(ctx context.Context, installationID, kind string, periodStart time.Time, deliveryID string) (bool, error) {
	res, err := t.x.ExecContext(ctx, t.x.Rebind(`INSERT INTO billing_marks (installation_id, kind, period_start, delivery_id, created_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (installation_id, kind, period_start) DO NOTHING`),
		installationID, kind, Millis(periodStart), deliveryID, Millis(t.d.now()))
	if err != nil {
		return false, fmt.Errorf("claim billing mark: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RequeueInvoiceRun moves the run to a new delivery if it still names
// from: of two re-queues of one refusal, one wins.
func (t tx) RequeueInvoiceRun(ctx context.Context, installationID string, periodStart time.Time, from, to, total string) (bool, error) {
	res, err := t.x.ExecContext(ctx, t.x.Rebind(`UPDATE invoice_runs SET delivery_id = ?, total = ?,
		requeues = requeues + 1, previous_delivery_id = delivery_id
		WHERE installation_id = ? AND period_start = ? AND delivery_id = ?`), to, total, installationID, Millis(periodStart), from)
	if err != nil {
		return false, fmt.Errorf("requeue invoice run: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// NextPeriod returns the installation's billing cursor.
func (s *Billing) NextPeriod(ctx context.Context, installationID string) (time.Time, bool, error) {
	return nextPeriod(ctx, s.db.DB, installationID)
}

func nextPeriod(ctx context.Context, q sqlx.ExtContext, installationID string) (time.Time, bool, error) {
	var next []int64
	if err := sqlx.SelectContext(ctx, q, &next, q.Rebind(`SELECT next_period FROM billing_cursors
		WHERE installation_id = ?`), installationID); err != nil {
		return time.Time{}, false, fmt.Errorf("read billing cursor: %w", err)
	}
	if len(next) == 0 {
		return time.Time{}, false, nil
	}
	return FromMillis(next[0]), true, nil
}

// SettleThrough moves the billing cursor forward to next, never back.
func (s *Billing) SettleThrough(ctx context.Context, installationID string, next time.Time) error {
	_, err := s.db.Write(ctx, s.db.Rebind(`INSERT INTO billing_cursors (installation_id, next_period) VALUES (?, ?)
		ON CONFLICT (installation_id) DO UPDATE SET next_period = excluded.next_period
		WHERE billing_cursors.next_period < excluded.next_period`), installationID, Millis(next))
	if err != nil {
		return fmt.Errorf("move billing cursor: %w", err)
	}
	return nil
}

// DeletedResources lists resources deleted after since, oldest deletion
// first.
func (s *Billing) DeletedResources(ctx context.Context, installationID string, since time.Time) ([]installations.DeletedResource, error) {
	return deletedResources(ctx, s.db.DB, installationID, since)
}

func deletedResources(ctx context.Context, q sqlx.ExtContext, installationID string, since time.Time) ([]installations.DeletedResource, error) {
	var rows []struct {
		ID            string `db:"id"`
		ProductID     string `db:"product_id"`
		Name          string `db:"name"`
		BillingPlanID string `db:"billing_plan_id"`
		CreatedAt     int64  `db:"created_at"`
		ArrivedAt     *int64 `db:"arrived_at"`
		DeletedAt     int64  `db:"deleted_at"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, q.Rebind(`SELECT id, product_id, name, billing_plan_id, created_at, arrived_at, deleted_at
		FROM deleted_resources WHERE installation_id = ? AND deleted_at > ? ORDER BY deleted_at, id`),
		installationID, Millis(since)); err != nil {
		return nil, fmt.Errorf("list deleted resources: %w", err)
	}
	out := make([]installations.DeletedResource, len(rows))
	for i, r := range rows {
		out[i] = installations.DeletedResource{DeletedAt: FromMillis(r.DeletedAt), Resource: installations.Resource{
			ID: r.ID, InstallationID: installationID, ProductID: r.ProductID, Name: r.Name,
			BillingPlanID: r.BillingPlanID, CreatedAt: FromMillis(r.CreatedAt), ArrivedAt: fromOptionalMillis(r.ArrivedAt)}}
	}
	return out, nil
}
