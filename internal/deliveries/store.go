package deliveries

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/db"
)

// store is the SQL of the deliveries table.
type store struct {
	db *db.DB
}

type row struct {
	ID             string        `db:"id"`
	Seq            int64         `db:"seq"`
	InstallationID string        `db:"installation_id"`
	Operation      string        `db:"operation"`
	Target         string        `db:"target"`
	OrderKey       string        `db:"order_key"`
	Body           string        `db:"body"`
	BodyKeyID      string        `db:"body_key_id"`
	RequestHash    string        `db:"request_hash"`
	Status         string        `db:"status"`
	Attempts       int           `db:"attempts"`
	NextAttemptAt  int64         `db:"next_attempt_at"`
	LastError      string        `db:"last_error"`
	ResultStatus   int           `db:"result_status"`
	Result         string        `db:"result"`
	CreatedAt      int64         `db:"created_at"`
	UpdatedAt      int64         `db:"updated_at"`
	FinishedAt     sql.NullInt64 `db:"finished_at"`
}

const cols = `id, seq, installation_id, operation, target, order_key, body, body_key_id, request_hash,
	status, attempts, next_attempt_at, last_error, result_status, result, created_at, updated_at, finished_at`

func (r row) delivery() Delivery {
	d := Delivery{
		ID: r.ID, Seq: r.Seq, InstallationID: r.InstallationID, Operation: r.Operation, Target: r.Target,
		OrderKey: r.OrderKey, Status: r.Status, Attempts: r.Attempts, NextAttemptAt: db.FromMillis(r.NextAttemptAt),
		LastError: r.LastError, ResultStatus: r.ResultStatus, CreatedAt: db.FromMillis(r.CreatedAt),
		UpdatedAt: db.FromMillis(r.UpdatedAt), body: r.Body, keyID: r.BodyKeyID,
	}
	if r.Result != "" {
		d.Result = json.RawMessage(r.Result)
	}
	if r.FinishedAt.Valid {
		t := db.FromMillis(r.FinishedAt.Int64)
		d.FinishedAt = &t
	}
	return d
}

func (s *store) get(ctx context.Context, q sqlx.QueryerContext, rebind func(string) string, id string) (Delivery, error) {
	var r row
	err := sqlx.GetContext(ctx, q, &r, rebind(`SELECT `+cols+` FROM deliveries WHERE id = ?`), id)
	if errors.Is(err, sql.ErrNoRows) {
		return Delivery{}, apperr.NotFoundf("delivery %s not found", id)
	}
	if err != nil {
		return Delivery{}, fmt.Errorf("get delivery: %w", err)
	}
	return r.delivery(), nil
}

// byIdemKey finds the delivery a scoped idempotency key made, with the
// hash of the request that made it.
func (s *store) byIdemKey(ctx context.Context, tx *sqlx.Tx, key string) (Delivery, string, bool, error) {
	var r row
	err := tx.GetContext(ctx, &r, tx.Rebind(`SELECT `+cols+` FROM deliveries WHERE idem_key = ?`), key)
	if errors.Is(err, sql.ErrNoRows) {
		return Delivery{}, "", false, nil
	}
	if err != nil {
		return Delivery{}, "", false, fmt.Errorf("find idempotency key: %w", err)
	}
	return r.delivery(), r.RequestHash, true, nil
}

// pendingBefore is 1 when a delivery with the same ordering key is pending
// (0 otherwise); called right after taking a new seq, any such delivery is
// an earlier one.
func (s *store) pendingBefore(ctx context.Context, tx *sqlx.Tx, key string) (int, error) {
	var n int
	err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM (SELECT 1 FROM deliveries
		WHERE order_key = ? AND status = ? LIMIT 1) earlier`), key, StatusPending)
	if err != nil {
		return 0, fmt.Errorf("count earlier deliveries: %w", err)
	}
	return n, nil
}

type newRow struct {
	Delivery
	body, keyID, idemKey, hash string
	leaseOwner                 string
	leaseUntil                 time.Time
}

func (s *store) insert(ctx context.Context, tx *sqlx.Tx, n newRow) error {
	var idem any
	if n.idemKey != "" {
		idem = n.idemKey
	}
	now := db.Millis(n.CreatedAt)
	_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO deliveries (id, seq, installation_id, operation, target,
		order_key, body, body_key_id, idem_key, request_hash, status, attempts, next_attempt_at, lease_owner,
		lease_until, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)`),
		n.ID, n.Seq, n.InstallationID, n.Operation, n.Target, n.OrderKey, n.body, n.keyID, idem, n.hash,
		StatusPending, now, n.leaseOwner, leaseMillis(n.leaseUntil), now, now)
	if err != nil {
		return fmt.Errorf("insert delivery: %w", err)
	}
	return nil
}

func leaseMillis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return db.Millis(t)
}

// claim leases up to limit due deliveries that head their ordering key
// (no earlier pending delivery shares it) to owner until leaseUntil. The
// guarded UPDATE is what makes a claim exclusive across replicas: it only
// succeeds on a row whose lease has run out, and only for a head.
func (s *store) claim(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]Delivery, error) {
	var out []Delivery
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		var ids []string
		// The heads (first pending seq of each ordering key) come from one
		// range scan of the (status, order_key, seq) index.
		if err := tx.SelectContext(ctx, &ids, tx.Rebind(`SELECT d.id FROM deliveries d
			JOIN (SELECT order_key, MIN(seq) AS seq FROM deliveries WHERE status = ? GROUP BY order_key) h ON d.seq = h.seq
			WHERE d.next_attempt_at <= ? AND d.lease_until < ?
			ORDER BY d.seq LIMIT ?`), StatusPending, db.Millis(now), db.Millis(now), limit); err != nil {
			return fmt.Errorf("find due deliveries: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		args := []any{owner, db.Millis(leaseUntil)}
		for _, id := range ids {
			args = append(args, id)
		}
		args = append(args, StatusPending, db.Millis(now), StatusPending)
		q := `UPDATE deliveries SET lease_owner = ?, lease_until = ?
			WHERE id IN (?` + strings.Repeat(", ?", len(ids)-1) + `) AND status = ? AND lease_until < ?
			AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.order_key = deliveries.order_key AND e.status = ? AND e.seq < deliveries.seq)`
		if _, err := tx.ExecContext(ctx, tx.Rebind(q), args...); err != nil {
			return fmt.Errorf("lease deliveries: %w", err)
		}
		var rows []row
		if err := tx.SelectContext(ctx, &rows, tx.Rebind(`SELECT `+cols+` FROM deliveries
			WHERE lease_owner = ? AND status = ? ORDER BY seq`), owner, StatusPending); err != nil {
			return fmt.Errorf("read leased deliveries: %w", err)
		}
		for _, r := range rows {
			out = append(out, r.delivery())
		}
		return nil
	})
	return out, err
}

// finish records an attempt's outcome, if owner still holds the lease, and
// clears the lease. It reports whether the row was updated.
func (s *store) finish(ctx context.Context, tx sqlx.ExtContext, owner string, d Delivery) (bool, error) {
	var finished any
	if d.FinishedAt != nil {
		finished = db.Millis(*d.FinishedAt)
	}
	result := ""
	if d.Result != nil {
		result = string(d.Result)
	}
	res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?,
		last_error = ?, result_status = ?, result = ?, updated_at = ?, finished_at = ?, lease_owner = '', lease_until = 0
		WHERE id = ? AND lease_owner = ?`),
		d.Status, d.Attempts, db.Millis(d.NextAttemptAt), d.LastError, d.ResultStatus, result,
		db.Millis(d.UpdatedAt), finished, d.ID, owner)
	if err != nil {
		return false, fmt.Errorf("record delivery attempt: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// release gives a lease back without counting an attempt (shutdown).
func (s *store) release(ctx context.Context, id, owner string) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE deliveries SET lease_owner = '', lease_until = 0
		WHERE id = ? AND lease_owner = ?`), id, owner)
	return err
}

// backlog is the number of pending deliveries and the creation time of the
// oldest (zero when none).
func (s *store) backlog(ctx context.Context) (int, time.Time, error) {
	var r struct {
		N      int   `db:"n"`
		Oldest int64 `db:"oldest"`
	}
	err := s.db.GetContext(ctx, &r, s.db.Rebind(`SELECT COUNT(*) AS n, COALESCE(MIN(created_at), 0) AS oldest
		FROM deliveries WHERE status = ?`), StatusPending)
	if err != nil || r.N == 0 {
		return 0, time.Time{}, err
	}
	return r.N, db.FromMillis(r.Oldest), nil
}
