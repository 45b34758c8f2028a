package db

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/vercel-partner/partner-server/internal/installations"
)

// Experimentation implements installations.ExperimentationStore.
type Experimentation struct{ db *DB }

// NewExperimentation returns the experimentation item store.
func NewExperimentation(d *DB) *Experimentation { return &Experimentation{db: d} }

type itemRow struct {
	InstallationID string `db:"installation_id"`
	ResourceID     string `db:"resource_id"`
	ID             string `db:"id"`
	Body           string `db:"body"`
	UpdatedAt      int64  `db:"updated_at"`
}

func (r itemRow) domain() installations.ExperimentationItem {
	return installations.ExperimentationItem{InstallationID: r.InstallationID, ResourceID: r.ResourceID, ID: r.ID,
		Body: json.RawMessage(r.Body), UpdatedAt: FromMillis(r.UpdatedAt)}
}

// FindExperimentationItems returns the installation's items with that id.
func (s *Experimentation) FindExperimentationItems(ctx context.Context, installationID, itemID string) ([]installations.ExperimentationItem, error) {
	var rows []itemRow
	if err := s.db.Read.SelectContext(ctx, &rows, s.db.Rebind(`SELECT installation_id, resource_id, id, body, updated_at
		FROM experimentation_items WHERE installation_id = ? AND id = ? ORDER BY resource_id`), installationID, itemID); err != nil {
		return nil, fmt.Errorf("find experimentation items: %w", err)
	}
	return domains(rows), nil
}

func putExperimentationItem(ctx context.Context, x *sqlx.Tx, it installations.ExperimentationItem) error {
	_, err := x.ExecContext(ctx, x.Rebind(`INSERT INTO experimentation_items (installation_id, resource_id, id, body, updated_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (installation_id, resource_id, id) DO UPDATE SET body = excluded.body,
		updated_at = excluded.updated_at`), it.InstallationID, it.ResourceID, it.ID, string(it.Body), Millis(it.UpdatedAt))
	if err != nil {
		return fmt.Errorf("keep experimentation item: %w", err)
	}
	return nil
}

func deleteExperimentationItem(ctx context.Context, x *sqlx.Tx, installationID, resourceID, itemID string) error {
	if _, err := x.ExecContext(ctx, x.Rebind(`DELETE FROM experimentation_items
		WHERE installation_id = ? AND resource_id = ? AND id = ?`), installationID, resourceID, itemID); err != nil {
		return fmt.Errorf("forget experimentation item: %w", err)
	}
	return nil
}
