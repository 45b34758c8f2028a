package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// What an operator's retry refuses.
var (
	errNotRetryable = apperr.New(apperr.Conflict, "delivery_final",
		"only a pending or dead delivery can be retried; this one is final")
	errOvertaken = apperr.New(apperr.Conflict, "delivery_overtaken",
		"a later write to the same thing has reached Vercel since; sending this one now would undo it")
	errBodyWiped = apperr.New(apperr.Conflict, "delivery_wiped",
		"the secret values this delivery carried were wiped when it died; send the write again instead")
)

// RetryDelivery is an operator's retry. A pending delivery becomes due
// now. A dead one is brought back, due now, with a fresh age
// (retried_at), unless its installation takes nothing more, a later
// delivery of its ordering key was delivered since (an older write never
// overtakes a newer one), or its body is gone (the queue wipes sealed
// secret values once a delivery is final; every other body is JSON, never
// empty). Rejected, superseded and delivered ones are final (Conflict).
func (s *Deliveries) RetryDelivery(ctx context.Context, id string, now time.Time) (installations.Delivery, error) {
	err := s.db.Tx(ctx, func(x *sqlx.Tx) error {
		var r deliveryRow
		err := x.GetContext(ctx, &r, x.Rebind(`SELECT `+deliveryCols+` FROM deliveries WHERE id = ?`), id)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.NotFoundf("delivery %s not found", id)
		}
		if err != nil {
			return fmt.Errorf("get delivery: %w", err)
		}
		switch r.Status {
		case installations.DeliveryPending:
			_, err := x.ExecContext(ctx, x.Rebind(`UPDATE deliveries SET next_attempt_at = ?, repeats = 0, updated_at = ?
				WHERE id = ? AND status = ?`), Millis(now), Millis(now), id, installations.DeliveryPending)
			return err
		case installations.DeliveryDead:
			return revive(ctx, x, r, now)
		}
		return errNotRetryable
	})
	if err != nil {
		return installations.Delivery{}, err
	}
	return s.GetDelivery(ctx, id)
}

// revive makes a dead delivery pending again, due now.
func revive(ctx context.Context, x *sqlx.Tx, r deliveryRow, now time.Time) error {
	if r.Body == "" {
		return errBodyWiped
	}
	in, err := getInstallation(ctx, x, x.Rebind, r.InstallationID)
	if err != nil {
		return err
	}
	if err := in.TakesMore(); err != nil {
		return err
	}
	if !rowidNumbers(x) { // as InsertDelivery: no new delivery of the key decides its lease meanwhile
		if _, err := x.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, orderKeyLock(r.OrderKey)); err != nil {
			return fmt.Errorf("lock ordering key: %w", err)
		}
	}
	var later bool
	if err := x.GetContext(ctx, &later, x.Rebind(`SELECT EXISTS (SELECT 1 FROM deliveries
		WHERE order_key = ? AND seq > ? AND status = ?)`), r.OrderKey, r.Seq, installations.DeliveryDelivered); err != nil {
		return fmt.Errorf("find later deliveries: %w", err)
	}
	if later {
		return errOvertaken
	}
	_, err = x.ExecContext(ctx, x.Rebind(`UPDATE deliveries SET status = ?, next_attempt_at = ?, repeats = 0, updated_at = ?,
		finished_at = NULL, retried_at = ?, lease_owner = '', lease_until = 0 WHERE id = ? AND status = ?`),
		installations.DeliveryPending, Millis(now), Millis(now), Millis(now), r.ID, installations.DeliveryDead)
	if err != nil {
		return fmt.Errorf("retry delivery: %w", err)
	}
	return nil
}

// orderKeyLock is the PostgreSQL advisory lock of an ordering key.
func orderKeyLock(orderKey string) int64 {
	h := fnv.New64a()
	h.Write([]byte(orderKey))
	return int64(h.Sum64())
}

// listCols are the columns a listing shows: no body.
const listCols = `id, seq, installation_id, operation, target, order_key, status, attempts, next_attempt_at, last_error,
	leases, repeats, result_status, result, created_at, updated_at, finished_at, retried_at`

// ListDeliveries lists deliveries matching f, newest first, without
// their bodies.
func (s *Deliveries) ListDeliveries(ctx context.Context, f installations.DeliveryFilter) ([]installations.Delivery, error) {
	var where []string
	var args []any
	for _, c := range []struct {
		col string
		v   string
	}{{"status", f.Status}, {"operation", f.Operation}, {"installation_id", f.InstallationID}} {
		if c.v != "" {
			where, args = append(where, c.col+" = ?"), append(args, c.v)
		}
	}
	if f.Before > 0 {
		where, args = append(where, "seq < ?"), append(args, f.Before)
	}
	q := `SELECT ` + listCols + ` FROM deliveries`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	var rows []deliveryRow
	if err := s.db.Read.SelectContext(ctx, &rows, s.db.Rebind(q+` ORDER BY seq DESC LIMIT ?`), append(args, f.Limit)...); err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return domains(rows), nil
}
