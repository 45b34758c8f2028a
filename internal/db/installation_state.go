package db

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// What the partner and Vercel's installation webhooks change of an
// installation besides its lifecycle: notifications, the team and
// account it belongs to, its scopes and its projects.

// setInstallationColumn sets one column of installation id; NotFound when
// there is no such installation.
func setInstallationColumn(ctx context.Context, x *sqlx.Tx, id, column string, value any, at time.Time) error {
	res, err := x.ExecContext(ctx, x.Rebind(`UPDATE installations SET `+column+` = ?, updated_at = ? WHERE id = ?`),
		value, Millis(at), id)
	if err != nil {
		return fmt.Errorf("update installation %s: %w", column, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apperr.NotFoundf("installation %s not found", id)
	}
	return nil
}

func setResourceNotification(ctx context.Context, x *sqlx.Tx, inst, id string, n json.RawMessage, at time.Time) error {
	res, err := x.ExecContext(ctx, x.Rebind(`UPDATE resources SET notification = ?, updated_at = ?
		WHERE installation_id = ? AND id = ?`), string(n), Millis(at), inst, id)
	if err != nil {
		return fmt.Errorf("update resource notification: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apperr.NotFoundf("resource %s not found", id)
	}
	return nil
}

func moveInstallation(ctx context.Context, x *sqlx.Tx, id, teamID, accountID string, at time.Time) error {
	res, err := x.ExecContext(ctx, x.Rebind(`UPDATE installations SET team_id = ?, account_id = ?, updated_at = ? WHERE id = ?`),
		teamID, accountID, Millis(at), id)
	if err != nil {
		return fmt.Errorf("move installation: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apperr.NotFoundf("installation %s not found", id)
	}
	return nil
}

// setInstallationProjects applies added and removed to the stored
// projects, keeping at most installations.MaxProjects.
func setInstallationProjects(ctx context.Context, x *sqlx.Tx, id, selection string, added, removed []string, at time.Time) error {
	var cur struct {
		Selection string `db:"project_selection"`
		Projects  string `db:"projects"`
	}
	if err := x.GetContext(ctx, &cur, x.Rebind(`SELECT project_selection, projects FROM installations WHERE id = ?`), id); err != nil {
		return fmt.Errorf("read installation projects: %w", err)
	}
	var projects []string
	json.Unmarshal([]byte(cur.Projects), &projects)
	for _, p := range added {
		if !slices.Contains(projects, p) {
			projects = append(projects, p)
		}
	}
	projects = slices.DeleteFunc(projects, func(p string) bool { return slices.Contains(removed, p) })
	if len(projects) > installations.MaxProjects {
		projects = projects[len(projects)-installations.MaxProjects:]
	}
	if projects == nil {
		projects = []string{}
	}
	if selection == "" {
		selection = cur.Selection
	}
	list, _ := json.Marshal(projects)
	_, err := x.ExecContext(ctx, x.Rebind(`UPDATE installations SET project_selection = ?, projects = ?, updated_at = ? WHERE id = ?`),
		selection, string(list), Millis(at), id)
	if err != nil {
		return fmt.Errorf("update installation projects: %w", err)
	}
	return nil
}
