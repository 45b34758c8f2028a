package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// Resources implements installations.ResourceStore.
type Resources struct {
	db *DB
}

// NewResources returns the resource store.
func NewResources(d *DB) *Resources { return &Resources{db: d} }

type resourceRow struct {
	InstallationID string `db:"installation_id"`
	ID             string `db:"id"`
	ProductID      string `db:"product_id"`
	Name           string `db:"name"`
	Metadata       string `db:"metadata"`
	BillingPlanID  string `db:"billing_plan_id"`
	Status         string `db:"status"`
	Notification   string `db:"notification"`
	Protocol       string `db:"protocol_settings"`
	CreatedAt      int64  `db:"created_at"`
	UpdatedAt      int64  `db:"updated_at"`
	Ownership      string `db:"ownership"`
	ArrivedAt      *int64 `db:"arrived_at"`
}

const resourceCols = `installation_id, id, product_id, name, metadata, billing_plan_id, status, notification,
	protocol_settings, created_at, updated_at, ownership, arrived_at`

func (r resourceRow) domain() installations.Resource {
	res := installations.Resource{
		ID: r.ID, InstallationID: r.InstallationID, ProductID: r.ProductID, Name: r.Name,
		Metadata: json.RawMessage(r.Metadata), BillingPlanID: r.BillingPlanID, Status: r.Status,
		CreatedAt: FromMillis(r.CreatedAt), UpdatedAt: FromMillis(r.UpdatedAt),
		Ownership: r.Ownership, ArrivedAt: fromOptionalMillis(r.ArrivedAt),
	}
	if r.Notification != "" {
		res.Notification = json.RawMessage(r.Notification)
	}
	if r.Protocol != "" {
		res.ProtocolSettings = json.RawMessage(r.Protocol)
	}
	return res
}

// fromOptionalMillis is FromMillis of a nullable column.
func fromOptionalMillis(ms *int64) *time.Time {
	if ms == nil {
		return nil
	}
	t := FromMillis(*ms)
	return &t
}

// PutResource creates or replaces our copy of a resource. A new one
// takes r's notification; an existing one keeps its own (only
// SetResourceNotification changes it).
func (s *Resources) PutResource(ctx context.Context, r installations.Resource) (installations.Resource, error) {
	var out installations.Resource
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		var err error
		out, err = putResource(ctx, tx, r, s.db.now())
		return err
	})
	return out, err
}

func putResource(ctx context.Context, tx *sqlx.Tx, r installations.Resource, at time.Time) (installations.Resource, error) {
	if len(r.Metadata) == 0 {
		r.Metadata = json.RawMessage("{}")
	}
	now := Millis(at)
	q := tx.Rebind(`INSERT INTO resources (installation_id, id, product_id, name, metadata, billing_plan_id, status,
		notification, protocol_settings, ownership, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (installation_id, id) DO UPDATE SET product_id = excluded.product_id, name = excluded.name,
		metadata = excluded.metadata, billing_plan_id = excluded.billing_plan_id, status = excluded.status,
		protocol_settings = excluded.protocol_settings, ownership = excluded.ownership, updated_at = excluded.updated_at`)
	if _, err := tx.ExecContext(ctx, q, r.InstallationID, r.ID, r.ProductID, r.Name, string(r.Metadata),
		r.BillingPlanID, r.Status, string(r.Notification), string(r.ProtocolSettings), r.Ownership, now, now); err != nil {
		return installations.Resource{}, fmt.Errorf("put resource: %w", err)
	}
	return getResource(ctx, tx, tx.Rebind, r.InstallationID, r.ID)
}

// updateResource changes an existing resource (not its notification):
// unlike putResource it never creates one, so a change decided before a
// concurrent deletion or transfer cannot bring the resource back at its
// old installation. A missing resource is NotFound.
func updateResource(ctx context.Context, x sqlx.ExtContext, r installations.Resource, at time.Time) (installations.Resource, error) {
	if len(r.Metadata) == 0 {
		r.Metadata = json.RawMessage("{}")
	}
	res, err := x.ExecContext(ctx, x.Rebind(`UPDATE resources SET product_id = ?, name = ?, metadata = ?, billing_plan_id = ?,
		status = ?, protocol_settings = ?, ownership = ?, updated_at = ? WHERE installation_id = ? AND id = ?`),
		r.ProductID, r.Name, string(r.Metadata), r.BillingPlanID, r.Status, string(r.ProtocolSettings), r.Ownership,
		Millis(at), r.InstallationID, r.ID)
	if err != nil {
		return installations.Resource{}, fmt.Errorf("update resource: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return installations.Resource{}, fmt.Errorf("update resource: %w", err)
	} else if n == 0 {
		return installations.Resource{}, apperr.NotFoundf("resource %s not found", r.ID)
	}
	return getResource(ctx, x, x.Rebind, r.InstallationID, r.ID)
}

// GetResource returns one resource of an installation.
func (s *Resources) GetResource(ctx context.Context, installationID, id string) (installations.Resource, error) {
	return getResource(ctx, s.db.Read, s.db.Rebind, installationID, id)
}

func getResource(ctx context.Context, q sqlx.QueryerContext, rebind func(string) string, inst, id string) (installations.Resource, error) {
	var r resourceRow
	err := sqlx.GetContext(ctx, q, &r, rebind(`SELECT `+resourceCols+` FROM resources WHERE installation_id = ? AND id = ?`), inst, id)
	if errors.Is(err, sql.ErrNoRows) {
		return installations.Resource{}, apperr.NotFoundf("resource %s not found", id)
	}
	if err != nil {
		return installations.Resource{}, fmt.Errorf("get resource: %w", err)
	}
	return r.domain(), nil
}

// ListResources returns an installation's resources by name.
func (s *Resources) ListResources(ctx context.Context, installationID string) ([]installations.Resource, error) {
	return listResources(ctx, s.db.Read, installationID)
}

func listResources(ctx context.Context, x sqlx.ExtContext, installationID string) ([]installations.Resource, error) {
	var rows []resourceRow
	if err := sqlx.SelectContext(ctx, x, &rows, x.Rebind(`SELECT `+resourceCols+` FROM resources
		WHERE installation_id = ? ORDER BY name, id`), installationID); err != nil {
		return nil, fmt.Errorf("list resources: %w", err)
	}
	return domains(rows), nil
}

// deleteResource removes the resource and keeps what billing needs of it
// in deleted_resources, in the same transaction.
//
// The row is locked first, as a transfer locks the rows it moves before it
// keeps their billing records: taken in the same order, a deletion and a
// transfer of one resource wait for each other instead of deadlocking.
func deleteResource(ctx context.Context, tx *sqlx.Tx, inst, id string, at time.Time) error {
	res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE resources SET updated_at = updated_at WHERE installation_id = ? AND id = ?`), inst, id)
	if err != nil {
		return fmt.Errorf("delete resource: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apperr.NotFoundf("resource %s not found", id)
	}
	if err := keepForBilling(ctx, tx, inst, id, at); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM resources WHERE installation_id = ? AND id = ?`), inst, id); err != nil {
		return fmt.Errorf("delete resource: %w", err)
	}
	return nil
}

// keepForBilling keeps what billing needs of a resource that leaves its
// installation at at (deleted or transferred away): it is still billed
// there for the part of each period it lived. A linked resource is billed
// outside Vercel: nothing is kept.
func keepForBilling(ctx context.Context, tx *sqlx.Tx, inst, id string, at time.Time) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO deleted_resources
		(installation_id, id, product_id, name, billing_plan_id, created_at, arrived_at, deleted_at)
		SELECT installation_id, id, product_id, name, billing_plan_id, created_at, arrived_at, ? FROM resources
		WHERE installation_id = ? AND id = ? AND ownership <> ? ON CONFLICT DO NOTHING`),
		Millis(at), inst, id, installations.OwnershipLinked); err != nil {
		return fmt.Errorf("keep deleted resource: %w", err)
	}
	return nil
}
