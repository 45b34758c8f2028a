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

// Transfers implements installations.TransferStore; the transfer itself
// runs through tx (installations.TransferTx).
type Transfers struct {
	db *DB
}

// NewTransfers returns the transfer request store.
func NewTransfers(d *DB) *Transfers { return &Transfers{db: d} }

var (
	_ installations.TransferStore = (*Transfers)(nil)
	_ installations.TransferTx    = tx{}
)

type claimRow struct {
	ID         string `db:"id"`
	SourceID   string `db:"source_installation_id"`
	ExpiresAt  int64  `db:"expires_at"`
	CreatedAt  int64  `db:"created_at"`
	TargetID   string `db:"target_installation_id"`
	AcceptedAt *int64 `db:"accepted_at"`
}

const claimCols = `id, source_installation_id, expires_at, created_at, target_installation_id, accepted_at`

// Claim returns one claim with its resources.
func (s *Transfers) Claim(ctx context.Context, id string) (installations.TransferClaim, error) {
	return readClaim(ctx, s.db.Read, s.db.Rebind, id, "")
}

// forUpdate is the clause that locks the rows a SELECT reads until the
// transaction ends; SQLite has one writer and needs none.
func (t tx) forUpdate() string {
	if t.d.Driver == "postgres" {
		return " FOR UPDATE"
	}
	return ""
}

func readClaim(ctx context.Context, q sqlx.QueryerContext, rebind func(string) string, id, lock string) (installations.TransferClaim, error) {
	var r claimRow
	err := sqlx.GetContext(ctx, q, &r, rebind(`SELECT `+claimCols+` FROM transfer_claims WHERE id = ?`+lock), id)
	if errors.Is(err, sql.ErrNoRows) {
		return installations.TransferClaim{}, apperr.NotFoundf("transfer request %s not found", id)
	}
	if err != nil {
		return installations.TransferClaim{}, fmt.Errorf("read transfer request: %w", err)
	}
	c := installations.TransferClaim{ID: r.ID, SourceID: r.SourceID, ExpiresAt: FromMillis(r.ExpiresAt),
		CreatedAt: FromMillis(r.CreatedAt), TargetID: r.TargetID, AcceptedAt: fromOptionalMillis(r.AcceptedAt)}
	err = sqlx.SelectContext(ctx, q, &c.ResourceIDs, rebind(`SELECT resource_id FROM transfer_claim_resources
		WHERE claim_id = ? ORDER BY position`), id)
	if err != nil {
		return installations.TransferClaim{}, fmt.Errorf("read transfer request: %w", err)
	}
	return c, nil
}

func (t tx) InsertClaim(ctx context.Context, c installations.TransferClaim) error {
	if _, err := t.x.ExecContext(ctx, t.x.Rebind(`INSERT INTO transfer_claims (id, source_installation_id, expires_at, created_at)
		VALUES (?, ?, ?, ?)`), c.ID, c.SourceID, Millis(c.ExpiresAt), Millis(c.CreatedAt)); err != nil {
		return fmt.Errorf("insert transfer request: %w", err)
	}
	for i, rid := range c.ResourceIDs {
		if _, err := t.x.ExecContext(ctx, t.x.Rebind(`INSERT INTO transfer_claim_resources (claim_id, resource_id, position)
			VALUES (?, ?, ?)`), c.ID, rid, i); err != nil {
			return fmt.Errorf("insert transfer request: %w", err)
		}
	}
	return nil
}

func (t tx) LockClaim(ctx context.Context, id string) (installations.TransferClaim, error) {
	return readClaim(ctx, t.x, t.x.Rebind, id, t.forUpdate())
}

func (t tx) LockResources(ctx context.Context, installationID string, ids []string) ([]installations.Resource, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	q, args, err := sqlx.In(`SELECT `+resourceCols+` FROM resources WHERE installation_id = ? AND id IN (?)
		ORDER BY id`+t.forUpdate(), installationID, ids)
	if err != nil {
		return nil, err
	}
	var rows []resourceRow
	if err := t.x.SelectContext(ctx, &rows, t.x.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("lock resources: %w", unavailable(err))
	}
	byID := make(map[string]installations.Resource, len(rows))
	for _, r := range rows {
		byID[r.ID] = r.domain()
	}
	out := make([]installations.Resource, 0, len(rows))
	for _, id := range ids {
		if r, ok := byID[id]; ok {
			out = append(out, r)
			delete(byID, id)
		}
	}
	return out, nil
}

func (t tx) ClaimedResources(ctx context.Context, installationID string, ids []string, now time.Time) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	q, args, err := sqlx.In(`SELECT DISTINCT r.resource_id FROM transfer_claim_resources r
		JOIN transfer_claims c ON c.id = r.claim_id
		WHERE c.source_installation_id = ? AND c.accepted_at IS NULL AND c.expires_at > ? AND r.resource_id IN (?)
		ORDER BY r.resource_id`, installationID, Millis(now), ids)
	if err != nil {
		return nil, err
	}
	var out []string
	if err := t.x.SelectContext(ctx, &out, t.x.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("read open transfer requests: %w", err)
	}
	return out, nil
}

func (t tx) MoveResource(ctx context.Context, from, to, id, planID string, at time.Time) (installations.Resource, error) {
	taken := func(format string) error {
		return apperr.New(apperr.Conflict, "transfer_conflict", fmt.Sprintf(format, id))
	}
	var clash int
	if err := t.x.GetContext(ctx, &clash, t.x.Rebind(`SELECT COUNT(*) FROM resources WHERE installation_id = ? AND id = ?`), to, id); err != nil {
		return installations.Resource{}, fmt.Errorf("move resource: %w", err)
	}
	if clash > 0 {
		return installations.Resource{}, taken("the target installation already has a resource %s")
	}
	if err := keepForBilling(ctx, t.x, from, id, at); err != nil {
		return installations.Resource{}, err
	}
	res, err := t.x.ExecContext(ctx, t.x.Rebind(`UPDATE resources SET installation_id = ?, billing_plan_id = ?,
		arrived_at = ?, updated_at = ? WHERE installation_id = ? AND id = ?`), to, planID, Millis(at), Millis(at), from, id)
	if err != nil {
		return installations.Resource{}, fmt.Errorf("move resource: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return installations.Resource{}, taken("resource %s is no longer in the source installation")
	}
	if err := t.moveAttachments(ctx, from, to, id, Millis(at)); err != nil {
		return installations.Resource{}, err
	}
	return getResource(ctx, t.x, t.x.Rebind, to, id)
}

// moveAttachments moves what hangs off a resource: its project
// connections and experimentation items (stale ones the target kept from
// an earlier stay go) and its prepaid balance (added to one the target
// kept).
func (t tx) moveAttachments(ctx context.Context, from, to, id string, now int64) error {
	steps := []struct{ q, what string }{
		{`DELETE FROM resource_projects WHERE installation_id = ? AND resource_id = ?`, "stale connections"},
		{`UPDATE resource_projects SET installation_id = ? WHERE installation_id = ? AND resource_id = ?`, "connections"},
		{`DELETE FROM experimentation_items WHERE installation_id = ? AND resource_id = ?`, "stale items"},
		{`UPDATE experimentation_items SET installation_id = ? WHERE installation_id = ? AND resource_id = ?`, "items"},
		{`INSERT INTO balances (installation_id, resource_id, cents, updated_at)
			SELECT ?, resource_id, cents, ? FROM balances WHERE installation_id = ? AND resource_id = ?
			ON CONFLICT (installation_id, resource_id) DO UPDATE SET cents = balances.cents + excluded.cents,
			updated_at = excluded.updated_at`, "balance"},
		{`DELETE FROM balances WHERE installation_id = ? AND resource_id = ?`, "balance"},
	}
	args := [][]any{{to, id}, {to, from, id}, {to, id}, {to, from, id}, {to, now, from, id}, {from, id}}
	for i, s := range steps {
		if _, err := t.x.ExecContext(ctx, t.x.Rebind(s.q), args[i]...); err != nil {
			return fmt.Errorf("move resource %s: %w", s.what, err)
		}
	}
	return nil
}

func (t tx) AcceptClaim(ctx context.Context, id, target string, at time.Time) error {
	res, err := t.x.ExecContext(ctx, t.x.Rebind(`UPDATE transfer_claims SET target_installation_id = ?, accepted_at = ?
		WHERE id = ? AND accepted_at IS NULL`), target, Millis(at), id)
	if err != nil {
		return fmt.Errorf("accept transfer request: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return installations.ErrClaimAccepted
	}
	return nil
}
