package db

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/vercel-partner/partner-server/internal/installations"
)

// Webhooks implements installations.WebhookStore and keeps the projects
// resources are connected to.
type Webhooks struct{ db *DB }

// NewWebhooks returns the webhook store.
func NewWebhooks(d *DB) *Webhooks { return &Webhooks{db: d} }

var _ installations.WebhookStore = (*Webhooks)(nil)

// RecordWebhook stores ev once per id. The insert, effect and feed entry
// commit together: when deliveries of one event race, the losers' inserts
// do nothing (PostgreSQL makes them wait for the winner's commit), so the
// effect runs once.
func (s *Webhooks) RecordWebhook(ctx context.Context, ev installations.WebhookEvent, effect installations.LocalChange) (bool, error) {
	stored := false
	err := s.db.Tx(ctx, func(x *sqlx.Tx) error {
		now := s.db.now()
		res, err := x.ExecContext(ctx, x.Rebind(`INSERT INTO webhook_events (id, type, installation_id, body, sent_at, received_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`),
			ev.ID, ev.Type, ev.InstallationID, string(ev.Body), optionalMillis(ev.SentAt), Millis(now))
		if err != nil {
			return fmt.Errorf("store webhook: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		stored = true
		if effect != nil {
			if err := effect(ctx, tx{x: x, d: s.db}); err != nil {
				return err
			}
		}
		return appendEvent(ctx, x, ev.FeedEvent(), now)
	})
	if err != nil {
		return false, err
	}
	return stored, nil
}

type resourceProjectRow struct {
	InstallationID string `db:"installation_id"`
	ResourceID     string `db:"resource_id"`
	ProjectID      string `db:"project_id"`
	Name           string `db:"name"`
	Targets        string `db:"targets"`
	ConnectedAt    int64  `db:"connected_at"`
}

func (r resourceProjectRow) domain() installations.ResourceProject {
	p := installations.ResourceProject{InstallationID: r.InstallationID, ResourceID: r.ResourceID, ProjectID: r.ProjectID,
		Name: r.Name, Targets: []string{}, ConnectedAt: FromMillis(r.ConnectedAt)}
	json.Unmarshal([]byte(r.Targets), &p.Targets)
	return p
}

// ListResourceProjects returns the projects a resource is connected to,
// oldest connection first.
func (s *Webhooks) ListResourceProjects(ctx context.Context, installationID, resourceID string) ([]installations.ResourceProject, error) {
	var rows []resourceProjectRow
	if err := s.db.Read.SelectContext(ctx, &rows, s.db.Rebind(`SELECT installation_id, resource_id, project_id, name, targets, connected_at
		FROM resource_projects WHERE installation_id = ? AND resource_id = ? ORDER BY connected_at, project_id`),
		installationID, resourceID); err != nil {
		return nil, fmt.Errorf("list resource projects: %w", err)
	}
	return domains(rows), nil
}

// putResourceProject keeps the first connection time and a known name
// when a project is connected again (with other targets).
func putResourceProject(ctx context.Context, x sqlx.ExtContext, p installations.ResourceProject, at time.Time) error {
	targets, err := json.Marshal(p.Targets)
	if err != nil || p.Targets == nil {
		targets = []byte("[]")
	}
	_, err = x.ExecContext(ctx, x.Rebind(`INSERT INTO resource_projects (installation_id, resource_id, project_id, name, targets, connected_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (installation_id, resource_id, project_id) DO UPDATE SET
		name = CASE WHEN excluded.name = '' THEN resource_projects.name ELSE excluded.name END,
		targets = excluded.targets`),
		p.InstallationID, p.ResourceID, p.ProjectID, p.Name, string(targets), Millis(at))
	if err != nil {
		return fmt.Errorf("put resource project: %w", err)
	}
	return nil
}

func deleteResourceProject(ctx context.Context, x sqlx.ExtContext, installationID, resourceID, projectID string) error {
	_, err := x.ExecContext(ctx, x.Rebind(`DELETE FROM resource_projects WHERE installation_id = ? AND resource_id = ? AND project_id = ?`),
		installationID, resourceID, projectID)
	if err != nil {
		return fmt.Errorf("delete resource project: %w", err)
	}
	return nil
}
