package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// Pushes keeps the pushes of feed events to the partner's receiver; the
// eventpush service decides what to do with them.
type Pushes struct{ db *DB }

// NewPushes returns the push store.
func NewPushes(d *DB) *Pushes { return &Pushes{db: d} }

type pushRow struct {
	ID            string        `db:"id"`
	Seq           int64         `db:"seq"`
	Stream        string        `db:"stream"`
	EventID       string        `db:"event_id"`
	Body          string        `db:"body"`
	Status        string        `db:"status"`
	Attempts      int           `db:"attempts"`
	NextAttemptAt int64         `db:"next_attempt_at"`
	LastError     string        `db:"last_error"`
	Since         int64         `db:"since"`
	CreatedAt     int64         `db:"created_at"`
	UpdatedAt     int64         `db:"updated_at"`
	FinishedAt    sql.NullInt64 `db:"finished_at"`
}

const pushCols = `id, seq, stream, event_id, body, status, attempts, next_attempt_at, last_error, since,
	created_at, updated_at, finished_at`

func (r pushRow) domain() installations.Push {
	p := installations.Push{ID: r.ID, Seq: r.Seq, InstallationID: r.Stream, EventID: r.EventID, Body: r.Body,
		Status: r.Status, Attempts: r.Attempts, NextAttemptAt: FromMillis(r.NextAttemptAt), LastError: r.LastError,
		Since: FromMillis(r.Since), CreatedAt: FromMillis(r.CreatedAt), UpdatedAt: FromMillis(r.UpdatedAt)}
	if r.FinishedAt.Valid {
		t := FromMillis(r.FinishedAt.Int64)
		p.FinishedAt = &t
	}
	return p
}

// PushCursor is the feed cursor up to which events were taken.
func (s *Pushes) PushCursor(ctx context.Context) (int64, error) {
	var c int64
	if err := s.db.Read.GetContext(ctx, &c, `SELECT feed_cursor FROM push_state WHERE id = 1`); err != nil {
		return 0, fmt.Errorf("read push cursor: %w", err)
	}
	return c, nil
}

// TakePushes records ps (in order, each pending and due at once) and moves
// the cursor from from to to, in one transaction. When the cursor is no
// longer from, another process took the events:
// installations.ErrPushCursorMoved, and
// nothing is recorded.
func (s *Pushes) TakePushes(ctx context.Context, from, to int64, ps []installations.Push) error {
	return s.db.Tx(ctx, func(x *sqlx.Tx) error {
		var seq int64
		err := x.GetContext(ctx, &seq, x.Rebind(`UPDATE push_state SET feed_cursor = ?, seq = seq + ?
			WHERE id = 1 AND feed_cursor = ? RETURNING seq`), to, len(ps), from)
		if errors.Is(err, sql.ErrNoRows) {
			return installations.ErrPushCursorMoved
		}
		if err != nil {
			return fmt.Errorf("move push cursor: %w", err)
		}
		seq -= int64(len(ps))
		for _, p := range ps {
			seq++
			now := Millis(p.CreatedAt)
			if _, err := x.ExecContext(ctx, x.Rebind(`INSERT INTO event_pushes (id, seq, stream, event_id, body, status,
				next_attempt_at, since, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
				p.ID, seq, p.InstallationID, p.EventID, p.Body, installations.DeliveryPending, now, now, now, now); err != nil {
				return fmt.Errorf("record push: %w", err)
			}
		}
		return nil
	})
}

// ClaimPushes leases up to limit due pushes that head their stream (no
// earlier pending push of the same installation) to owner until
// leaseUntil. As with deliveries, the guarded UPDATE makes a claim
// exclusive across replicas.
func (s *Pushes) ClaimPushes(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]installations.Push, error) {
	var out []installations.Push
	pending := installations.DeliveryPending
	err := s.db.Tx(ctx, func(x *sqlx.Tx) error {
		var ids []string
		if err := x.SelectContext(ctx, &ids, x.Rebind(`SELECT p.id FROM event_pushes p
			JOIN (SELECT stream, MIN(seq) AS seq FROM event_pushes WHERE status = ? GROUP BY stream) h ON p.seq = h.seq
			WHERE p.next_attempt_at <= ? AND p.lease_until < ? ORDER BY p.seq LIMIT ?`),
			pending, Millis(now), Millis(now), limit); err != nil {
			return fmt.Errorf("find due pushes: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		args := []any{owner, Millis(leaseUntil)}
		for _, id := range ids {
			args = append(args, id)
		}
		args = append(args, pending, Millis(now), pending)
		if _, err := x.ExecContext(ctx, x.Rebind(`UPDATE event_pushes SET lease_owner = ?, lease_until = ?
			WHERE id IN (?`+strings.Repeat(", ?", len(ids)-1)+`) AND status = ? AND lease_until < ?
			AND NOT EXISTS (SELECT 1 FROM event_pushes e WHERE e.stream = event_pushes.stream AND e.status = ?
				AND e.seq < event_pushes.seq)`), args...); err != nil {
			return fmt.Errorf("lease pushes: %w", err)
		}
		var rows []pushRow
		if err := x.SelectContext(ctx, &rows, x.Rebind(`SELECT `+pushCols+` FROM event_pushes
			WHERE lease_owner = ? AND status = ? ORDER BY seq`), owner, pending); err != nil {
			return fmt.Errorf("read leased pushes: %w", err)
		}
		out = domains(rows)
		return nil
	})
	return out, err
}

// FinishPush records an attempt's outcome if owner still holds the lease,
// and clears the lease. It reports whether the row was updated.
func (s *Pushes) FinishPush(ctx context.Context, p installations.Push, owner string) (bool, error) {
	var finished any
	if p.FinishedAt != nil {
		finished = Millis(*p.FinishedAt)
	}
	res, err := s.db.Write(ctx, s.db.Rebind(`UPDATE event_pushes SET status = ?, attempts = ?, next_attempt_at = ?,
		last_error = ?, updated_at = ?, finished_at = ?, lease_owner = '', lease_until = 0
		WHERE id = ? AND lease_owner = ?`), p.Status, p.Attempts, Millis(p.NextAttemptAt), p.LastError,
		Millis(p.UpdatedAt), finished, p.ID, owner)
	if err != nil {
		return false, fmt.Errorf("record push attempt: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ReleasePush gives a lease back without counting an attempt (shutdown).
func (s *Pushes) ReleasePush(ctx context.Context, id, owner string) error {
	if _, err := s.db.Write(ctx, s.db.Rebind(`UPDATE event_pushes SET lease_owner = '', lease_until = 0
		WHERE id = ? AND lease_owner = ?`), id, owner); err != nil {
		return fmt.Errorf("release push: %w", err)
	}
	return nil
}

// GetPush returns one push.
func (s *Pushes) GetPush(ctx context.Context, id string) (installations.Push, error) {
	var r pushRow
	err := s.db.Read.GetContext(ctx, &r, s.db.Rebind(`SELECT `+pushCols+` FROM event_pushes WHERE id = ?`), id)
	if errors.Is(err, sql.ErrNoRows) {
		return installations.Push{}, apperr.NotFoundf("push %s not found", id)
	}
	if err != nil {
		return installations.Push{}, fmt.Errorf("get push: %w", err)
	}
	return r.domain(), nil
}

// RetryPush makes a pending or dead push due now, with a new max-age
// window from now. Conflict for a delivered one.
func (s *Pushes) RetryPush(ctx context.Context, id string, now time.Time) (installations.Push, error) {
	return s.operate(ctx, id, `UPDATE event_pushes SET status = ?, next_attempt_at = ?, since = ?, updated_at = ?,
		finished_at = NULL WHERE id = ? AND status IN (?, ?)`, installations.DeliveryPending, Millis(now), Millis(now),
		Millis(now), id, installations.DeliveryPending, installations.DeliveryDead)
}

// CancelPush gives up a pending push no attempt holds: it becomes dead.
func (s *Pushes) CancelPush(ctx context.Context, id, reason string, now time.Time) (installations.Push, error) {
	return s.operate(ctx, id, `UPDATE event_pushes SET status = ?, last_error = ?, updated_at = ?, finished_at = ?
		WHERE id = ? AND status = ? AND lease_until < ?`, installations.DeliveryDead, reason, Millis(now), Millis(now),
		id, installations.DeliveryPending, Millis(now))
}

func (s *Pushes) operate(ctx context.Context, id, q string, args ...any) (installations.Push, error) {
	res, err := s.db.Write(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return installations.Push{}, fmt.Errorf("change push: %w", err)
	}
	p, err := s.GetPush(ctx, id)
	if err != nil {
		return p, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return p, apperr.New(apperr.Conflict, "push_not_retryable", "the push is "+p.Status+" or an attempt holds it")
	}
	return p, nil
}

// PushBacklog is the number of pending pushes and the creation time of
// the oldest (zero when none).
func (s *Pushes) PushBacklog(ctx context.Context) (int, time.Time, error) {
	var r struct {
		N      int   `db:"n"`
		Oldest int64 `db:"oldest"`
	}
	err := s.db.Read.GetContext(ctx, &r, s.db.Rebind(`SELECT COUNT(*) AS n, COALESCE(MIN(created_at), 0) AS oldest
		FROM event_pushes WHERE status = ?`), installations.DeliveryPending)
	if err != nil || r.N == 0 {
		return 0, time.Time{}, err
	}
	return r.N, FromMillis(r.Oldest), nil
}
