package db

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// Deliveries keeps the durable queue of writes forwarded to Vercel; the
// delivery service decides what to do with them.
type Deliveries struct {
	db *DB
}

// NewDeliveries returns the delivery store.
func NewDeliveries(d *DB) *Deliveries { return &Deliveries{db: d} }

type deliveryRow struct {
	ID             string        `db:"id"`
	Seq            int64         `db:"seq"`
	InstallationID string        `db:"installation_id"`
	Operation      string        `db:"operation"`
	Target         string        `db:"target"`
	OrderKey       string        `db:"order_key"`
	LatestKey      string        `db:"latest_key"`
	Body           string        `db:"body"`
	BodyKeyID      string        `db:"body_key_id"`
	Status         string        `db:"status"`
	Attempts       int           `db:"attempts"`
	NextAttemptAt  int64         `db:"next_attempt_at"`
	LastError      string        `db:"last_error"`
	Leases         int           `db:"leases"`
	Repeats        int           `db:"repeats"`
	ResultStatus   int           `db:"result_status"`
	Result         string        `db:"result"`
	CreatedAt      int64         `db:"created_at"`
	UpdatedAt      int64         `db:"updated_at"`
	FinishedAt     sql.NullInt64 `db:"finished_at"`
	RetriedAt      int64         `db:"retried_at"`
}

const deliveryCols = `id, seq, installation_id, operation, target, order_key, latest_key, body, body_key_id,
	status, attempts, next_attempt_at, last_error, leases, repeats, result_status, result, created_at, updated_at, finished_at, retried_at`

func (r deliveryRow) domain() installations.Delivery {
	d := installations.Delivery{
		ID: r.ID, Seq: r.Seq, InstallationID: r.InstallationID, Operation: r.Operation, Target: r.Target,
		OrderKey: r.OrderKey, LatestKey: r.LatestKey, Status: r.Status, Attempts: r.Attempts, NextAttemptAt: FromMillis(r.NextAttemptAt),
		LastError: r.LastError, Leases: r.Leases, Repeats: r.Repeats, ResultStatus: r.ResultStatus, CreatedAt: FromMillis(r.CreatedAt),
		UpdatedAt: FromMillis(r.UpdatedAt), Body: r.Body, BodyKeyID: r.BodyKeyID,
	}
	if r.Result != "" {
		d.Result = json.RawMessage(r.Result)
	}
	if r.FinishedAt.Valid {
		t := FromMillis(r.FinishedAt.Int64)
		d.FinishedAt = &t
	}
	if r.RetriedAt != 0 {
		d.RetriedAt = FromMillis(r.RetriedAt)
	}
	return d
}

// GetDelivery returns one delivery.
func (s *Deliveries) GetDelivery(ctx context.Context, id string) (installations.Delivery, error) {
	var r deliveryRow
	err := s.db.Read.GetContext(ctx, &r, s.db.Rebind(`SELECT `+deliveryCols+` FROM deliveries WHERE id = ?`), id)
	if errors.Is(err, sql.ErrNoRows) {
		return installations.Delivery{}, apperr.NotFoundf("delivery %s not found", id)
	}
	if err != nil {
		return installations.Delivery{}, fmt.Errorf("get delivery: %w", err)
	}
	return r.domain(), nil
}

// InsertDelivery records d, with local, in one transaction: it fails with
// NotFound for an unknown installation, gives d the next seq and, unless an
// earlier delivery with the same order key is pending, leases it to owner
// until leaseUntil (leased reports which). When d.IdemKey already made a
// delivery, that one is returned and nothing is recorded.
func (s *Deliveries) InsertDelivery(ctx context.Context, d installations.Delivery, owner string, leaseUntil time.Time,
	local installations.LocalChange) (out installations.Delivery, leased bool, err error) {
	var existing string
	err = s.db.Tx(ctx, func(x *sqlx.Tx) error {
		var err error
		d, leased, existing, err = s.insert(ctx, x, d, owner, leaseUntil, local)
		return err
	})
	if err == nil && existing != "" {
		d, err = s.GetDelivery(ctx, existing)
		return d, false, err
	}
	return d, leased, err
}

// InsertDeliveries records deliveries for the worker (no lease), each with
// its local change, in one transaction: one commit for all of them. If
// any of them fails, that transaction is undone and each is recorded on
// its own, so one failure costs only its own delivery. errs[i] is the
// error of ds[i]; out[i] is it as recorded (or the delivery its IdemKey
// already made).
func (s *Deliveries) InsertDeliveries(ctx context.Context, ds []installations.Delivery,
	locals []installations.LocalChange) (out []installations.Delivery, errs []error) {
	out, errs = make([]installations.Delivery, len(ds)), make([]error, len(ds))
	existing := make([]string, len(ds))
	err := s.db.Tx(ctx, func(x *sqlx.Tx) error {
		for i, d := range ds {
			var err error
			if out[i], _, existing[i], err = s.insert(ctx, x, d, "", time.Time{}, locals[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		for i, d := range ds {
			out[i], _, errs[i] = s.InsertDelivery(ctx, d, "", time.Time{}, locals[i])
		}
		return out, errs
	}
	for i, id := range existing {
		if id != "" {
			out[i], errs[i] = s.GetDelivery(ctx, id)
		}
	}
	return out, errs
}

// insert records d inside x (see InsertDelivery); existing names the
// delivery d.IdemKey already made, when it did.
func (s *Deliveries) insert(ctx context.Context, x *sqlx.Tx, d installations.Delivery, owner string, leaseUntil time.Time,
	local installations.LocalChange) (_ installations.Delivery, leased bool, existing string, err error) {
	if d.IdemKey != "" {
		err := x.GetContext(ctx, &existing, x.Rebind(`SELECT id FROM deliveries WHERE idem_key = ?`), d.IdemKey)
		if err == nil {
			return d, false, existing, nil // a retry of a request that made this delivery
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return d, false, "", fmt.Errorf("find delivery by idempotency key: %w", err)
		}
	}
	var (
		seq any // NULL: the rowid numbers it
		pre *prefetched
	)
	if !rowidNumbers(x) {
		if d.Seq, pre, err = keyedSeq(ctx, x, d.OrderKey, d.InstallationID); err != nil {
			return d, false, "", err
		}
		seq = d.Seq
	}
	// With a local change the installation is read there; a missing one
	// is NotFound either way.
	switch {
	case local != nil:
		if err := local(ctx, tx{x: x, d: s.db, pre: pre}); err != nil {
			return d, false, "", err
		}
	case pre != nil && !pre.found:
		return d, false, "", apperr.NotFoundf("installation %s not found", d.InstallationID)
	case pre == nil:
		if err := installationKnown(ctx, x, d.InstallationID); err != nil {
			return d, false, "", err
		}
	}
	if err := supersede(ctx, x, d); err != nil {
		return d, false, "", err
	}
	lease, leases := int64(0), 0 // a delivery for the worker carries no lease
	if owner != "" {
		lease, leases = Millis(leaseUntil), 1
	}
	now := Millis(d.CreatedAt)
	var idem any
	if d.IdemKey != "" {
		idem = d.IdemKey
	}
	// The lease goes to owner only if no earlier delivery of the key is
	// pending, decided in the insert itself.
	var row struct {
		Seq   int64  `db:"seq"`
		Owner string `db:"lease_owner"`
	}
	err = x.GetContext(ctx, &row, x.Rebind(`INSERT INTO deliveries (id, seq, installation_id, operation, target,
		order_key, latest_key, body, body_key_id, idem_key, status, attempts, next_attempt_at, lease_owner, lease_until, leases,
		created_at, updated_at) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, CAST(? AS BIGINT),
		CASE WHEN e.pending THEN '' ELSE CAST(? AS TEXT) END, CASE WHEN e.pending THEN 0 ELSE CAST(? AS BIGINT) END,
		CASE WHEN e.pending THEN 0 ELSE CAST(? AS INTEGER) END, CAST(? AS BIGINT), CAST(? AS BIGINT)
		FROM (SELECT EXISTS (SELECT 1 FROM deliveries WHERE order_key = ? AND status = ?) AS pending) e
		RETURNING seq, lease_owner`),
		d.ID, seq, d.InstallationID, d.Operation, d.Target, d.OrderKey, d.LatestKey, d.Body, d.BodyKeyID, idem,
		installations.DeliveryPending, Millis(d.NextAttemptAt), owner, lease, leases, now, now,
		d.OrderKey, installations.DeliveryPending)
	if err != nil {
		return d, false, "", fmt.Errorf("insert delivery: %w", err)
	}
	d.Seq = row.Seq
	if leased = owner != "" && row.Owner == owner; leased {
		d.Leases = 1
	}
	return d, leased, "", nil
}

// supersede ends the pending deliveries d makes obsolete: those with d's
// latest key that no attempt holds (an attempt in flight keeps its
// delivery, which then goes before d). They share d's order key, whose
// lock (PostgreSQL) or the single writer (SQLite) keeps a claim from
// racing this.
func supersede(ctx context.Context, x *sqlx.Tx, d installations.Delivery) error {
	if d.LatestKey == "" {
		return nil
	}
	now := Millis(d.CreatedAt)
	_, err := x.ExecContext(ctx, x.Rebind(`UPDATE deliveries SET status = ?, last_error = ?, updated_at = ?, finished_at = ?
		WHERE status = ? AND order_key = ? AND latest_key = ? AND lease_until < ?`),
		installations.DeliverySuperseded, "superseded by "+d.ID, now, now, installations.DeliveryPending, d.OrderKey, d.LatestKey, now)
	if err != nil {
		return fmt.Errorf("supersede deliveries: %w", err)
	}
	return nil
}

// installationKnown is NotFound for an installation we do not have.
func installationKnown(ctx context.Context, x *sqlx.Tx, id string) error {
	var known int
	if err := x.GetContext(ctx, &known, x.Rebind(`SELECT COUNT(*) FROM installations WHERE id = ?`), id); err != nil {
		return fmt.Errorf("find installation: %w", err)
	}
	if known == 0 {
		return apperr.NotFoundf("installation %s not found", id)
	}
	return nil
}

// keyedSeq takes a delivery number on PostgreSQL under a lock on its order
// key, held until the transaction ends: deliveries of one key commit in
// the order of their numbers, and deliveries of other keys do not wait.
// The same round trip reads the installation and its sealed token, which
// the recording transaction asks for next.
func keyedSeq(ctx context.Context, x *sqlx.Tx, orderKey, installationID string) (int64, *prefetched, error) {
	var r struct {
		Seq   int64          `db:"seq"`
		Found bool           `db:"found"`
		CT    sql.NullString `db:"token_ciphertext"`
		KeyID sql.NullString `db:"token_key_id"`
		installationRow
	}
	err := x.GetContext(ctx, &r, `SELECT s.seq, i.id IS NOT NULL AS found, i.token_ciphertext, i.token_key_id,
		COALESCE(i.id, '') AS id, COALESCE(i.scopes, '') AS scopes, COALESCE(i.accepted_policies, '') AS accepted_policies,
		COALESCE(i.account_name, '') AS account_name, COALESCE(i.account_url, '') AS account_url,
		COALESCE(i.contact_email, '') AS contact_email, COALESCE(i.contact_name, '') AS contact_name,
		COALESCE(i.billing_plan_id, '') AS billing_plan_id, COALESCE(i.notification, '') AS notification,
		COALESCE(i.status, '') AS status, COALESCE(i.created_at, 0) AS created_at, COALESCE(i.updated_at, 0) AS updated_at,
		i.deleted_at
		FROM (SELECT nextval('deliveries_seq') AS seq FROM (SELECT pg_advisory_xact_lock($1)) l) s
		LEFT JOIN installations i ON i.id = $2`, orderKeyLock(orderKey), installationID)
	if err != nil {
		return 0, nil, fmt.Errorf("next delivery number: %w", err)
	}
	return r.Seq, &prefetched{id: installationID, row: r.installationRow, found: r.Found,
		ciphertext: r.CT.String, keyID: r.KeyID.String}, nil
}

// ClaimDeliveries leases up to limit due deliveries that head their order
// key (no earlier pending delivery shares it) to owner until leaseUntil.
// The guarded UPDATE is what makes a claim exclusive across replicas: it
// only succeeds on a row whose lease has run out, and only for a head.
func (s *Deliveries) ClaimDeliveries(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]installations.Delivery, error) {
	var out []installations.Delivery
	pending := installations.DeliveryPending
	err := s.db.Tx(ctx, func(x *sqlx.Tx) error {
		var ids []string
		// The pending deliveries from the oldest (deliveries_pending),
		// keeping the heads of their keys (deliveries_heads), until there
		// are enough: a claim reads about as many rows as it leases.
		from := "deliveries d"
		if rowidNumbers(x) {
			// SQLite's planner would rather sort every pending row found
			// through deliveries_heads.
			from += " INDEXED BY deliveries_pending"
		}
		if err := x.SelectContext(ctx, &ids, x.Rebind(`SELECT d.id FROM `+from+`
			WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND d.lease_until < ?
			AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.status = 'pending' AND e.order_key = d.order_key AND e.seq < d.seq)
			ORDER BY d.seq LIMIT ?`), Millis(now), Millis(now), limit); err != nil {
			return fmt.Errorf("find due deliveries: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		args := []any{owner, Millis(leaseUntil)}
		for _, id := range ids {
			args = append(args, id)
		}
		args = append(args, pending, Millis(now), pending)
		// RETURNING hands back the rows leased, no second read.
		q := `UPDATE deliveries SET lease_owner = ?, lease_until = ?, leases = leases + 1
			WHERE id IN (?` + strings.Repeat(", ?", len(ids)-1) + `) AND status = ? AND lease_until < ?
			AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.order_key = deliveries.order_key AND e.status = ? AND e.seq < deliveries.seq)
			RETURNING ` + deliveryCols
		var rows []deliveryRow
		if err := x.SelectContext(ctx, &rows, x.Rebind(q), args...); err != nil {
			return fmt.Errorf("lease deliveries: %w", err)
		}
		slices.SortFunc(rows, func(a, b deliveryRow) int { return cmp.Compare(a.Seq, b.Seq) })
		out = domains(rows)
		return nil
	})
	return out, err
}

// FinishDelivery records an attempt's outcome, if owner still holds the
// lease, and clears the lease; local runs in the same transaction when the
// row was updated. It reports whether the row was updated.
func (s *Deliveries) FinishDelivery(ctx context.Context, d installations.Delivery, owner string, local installations.LocalChange) (bool, error) {
	var finished any
	if d.FinishedAt != nil {
		finished = Millis(*d.FinishedAt)
	}
	result := ""
	if d.Result != nil {
		result = string(d.Result)
	}
	// A final delivery whose body the queue wiped (sealed secret values)
	// keeps none.
	wipe := ""
	if d.Final() && d.Body == "" {
		wipe = `, body = '', body_key_id = ''`
	}
	q := `UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?,
		last_error = ?, repeats = ?, result_status = ?, result = ?, updated_at = ?, finished_at = ?, lease_owner = '', lease_until = 0` +
		wipe + ` WHERE id = ? AND lease_owner = ?`
	args := []any{d.Status, d.Attempts, Millis(d.NextAttemptAt), d.LastError, d.Repeats, d.ResultStatus, result,
		Millis(d.UpdatedAt), finished, d.ID, owner}
	if local == nil { // one statement: no transaction needed
		res, err := s.db.Write(ctx, s.db.Rebind(q), args...)
		if err != nil {
			return false, fmt.Errorf("record delivery attempt: %w", err)
		}
		n, _ := res.RowsAffected()
		return n == 1, nil
	}
	var ok bool
	err := s.db.Tx(ctx, func(x *sqlx.Tx) error {
		res, err := x.ExecContext(ctx, x.Rebind(q), args...)
		if err != nil {
			return fmt.Errorf("record delivery attempt: %w", err)
		}
		n, _ := res.RowsAffected()
		if ok = n == 1; !ok {
			return nil // lost the lease: whoever holds it records instead
		}
		return local(ctx, tx{x: x, d: s.db})
	})
	return ok, err
}

// ReleaseDelivery gives a lease back without counting an attempt (shutdown).
func (s *Deliveries) ReleaseDelivery(ctx context.Context, id, owner string) error {
	_, err := s.db.Write(ctx, s.db.Rebind(`UPDATE deliveries SET lease_owner = '', lease_until = 0
		WHERE id = ? AND lease_owner = ?`), id, owner)
	if err != nil {
		return fmt.Errorf("release delivery: %w", err)
	}
	return nil
}

// DeliveryBacklog is the number of pending deliveries and the creation
// time of the oldest (zero when none).
func (s *Deliveries) DeliveryBacklog(ctx context.Context) (int, time.Time, error) {
	var r struct {
		N      int   `db:"n"`
		Oldest int64 `db:"oldest"`
	}
	err := s.db.Read.GetContext(ctx, &r, s.db.Rebind(`SELECT COUNT(*) AS n, COALESCE(MIN(created_at), 0) AS oldest
		FROM deliveries WHERE status = ?`), installations.DeliveryPending)
	if err != nil || r.N == 0 {
		return 0, time.Time{}, err
	}
	return r.N, FromMillis(r.Oldest), nil
}

// CancelDelivery gives up a pending delivery that no attempt holds: it
// becomes dead with reason as its last error, and a sealed body (secret
// values) is wiped.
func (s *Deliveries) CancelDelivery(ctx context.Context, id, reason string, now time.Time) (installations.Delivery, error) {
	return s.operate(ctx, id, `UPDATE deliveries SET status = ?, last_error = ?, updated_at = ?, finished_at = ?,
		body = CASE WHEN body_key_id <> '' THEN '' ELSE body END, body_key_id = ''
		WHERE id = ? AND status = ? AND lease_until < ?`, installations.DeliveryDead, reason, Millis(now), Millis(now),
		id, installations.DeliveryPending, Millis(now))
}

func (s *Deliveries) operate(ctx context.Context, id, q string, args ...any) (installations.Delivery, error) {
	res, err := s.db.Write(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return installations.Delivery{}, fmt.Errorf("change delivery: %w", err)
	}
	d, err := s.GetDelivery(ctx, id)
	if err != nil {
		return d, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return d, apperr.New(apperr.Conflict, "delivery_not_pending", "the delivery is "+d.Status+" or an attempt holds it")
	}
	return d, nil
}
