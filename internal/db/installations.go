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

// Installations implements installations.Store; tokens are sealed by Vault.
type Installations struct {
	db    *DB
	vault installations.Sealer
}

// NewInstallations returns the installation store.
func NewInstallations(d *DB, v installations.Sealer) *Installations {
	return &Installations{db: d, vault: v}
}

type installationRow struct {
	ID               string        `db:"id"`
	Scopes           string        `db:"scopes"`
	AcceptedPolicies string        `db:"accepted_policies"`
	AccountName      string        `db:"account_name"`
	AccountURL       string        `db:"account_url"`
	ContactEmail     string        `db:"contact_email"`
	ContactName      string        `db:"contact_name"`
	TeamID           string        `db:"team_id"`
	AccountID        string        `db:"account_id"`
	ProjectSelection string        `db:"project_selection"`
	Projects         string        `db:"projects"`
	BillingPlanID    string        `db:"billing_plan_id"`
	Notification     string        `db:"notification"`
	Status           string        `db:"status"`
	CreatedAt        int64         `db:"created_at"`
	UpdatedAt        int64         `db:"updated_at"`
	DeletedAt        sql.NullInt64 `db:"deleted_at"`
}

const installationCols = `id, scopes, accepted_policies, account_name, account_url, contact_email,
	contact_name, team_id, account_id, project_selection, projects, billing_plan_id, notification, status,
	created_at, updated_at, deleted_at`

func (r installationRow) domain() installations.Installation {
	in := installations.Installation{
		ID:               r.ID,
		Account:          installations.Account{Name: r.AccountName, URL: r.AccountURL, ContactEmail: r.ContactEmail, ContactName: r.ContactName},
		TeamID:           r.TeamID,
		AccountID:        r.AccountID,
		ProjectSelection: r.ProjectSelection,
		Projects:         []string{},
		BillingPlanID:    r.BillingPlanID,
		Status:           r.Status,
		CreatedAt:        FromMillis(r.CreatedAt),
		UpdatedAt:        FromMillis(r.UpdatedAt),
	}
	if r.Scopes != "" {
		json.Unmarshal([]byte(r.Scopes), &in.Scopes)
	}
	if r.AcceptedPolicies != "" {
		json.Unmarshal([]byte(r.AcceptedPolicies), &in.AcceptedPolicies)
	}
	if r.Notification != "" {
		in.Notification = json.RawMessage(r.Notification)
	}
	if r.Projects != "" {
		json.Unmarshal([]byte(r.Projects), &in.Projects)
	}
	if r.DeletedAt.Valid {
		t := FromMillis(r.DeletedAt.Int64)
		in.DeletedAt = &t
	}
	return in
}

// upsertEventData is the data of every upsert's event, encoded once.
var upsertEventData = json.RawMessage(`{"reason":"upsert"}`)

// Upsert creates the installation or, on re-install, replaces token, scopes,
// policies and account while keeping plan and notification. A finalized
// installation's id starts over as a new installation (restartFinalized).
func (s *Installations) Upsert(ctx context.Context, u installations.Upsert) (installations.Installation, error) {
	ct, keyID, err := s.vault.Seal(u.ID, u.Credentials.AccessToken)
	if err != nil {
		return installations.Installation{}, fmt.Errorf("seal token: %w", err)
	}
	scopes, _ := json.Marshal(u.Scopes)
	policies, _ := json.Marshal(u.AcceptedPolicies)
	now := Millis(s.db.now())
	q := s.db.Rebind(`INSERT INTO installations (id, scopes, accepted_policies, account_name, account_url,
		contact_email, contact_name, status, token_type, token_ciphertext, token_key_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET scopes = excluded.scopes, accepted_policies = excluded.accepted_policies,
		account_name = excluded.account_name, account_url = excluded.account_url,
		contact_email = excluded.contact_email, contact_name = excluded.contact_name,
		status = excluded.status, token_type = excluded.token_type,
		token_ciphertext = excluded.token_ciphertext, token_key_id = excluded.token_key_id,
		updated_at = excluded.updated_at, deleted_at = NULL
		RETURNING ` + installationCols)
	a := u.Account
	var out installations.Installation
	err = s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		if err := restartFinalized(ctx, tx, u.ID, now); err != nil {
			return err
		}
		var r installationRow
		if err := tx.GetContext(ctx, &r, q, u.ID, string(scopes), string(policies), a.Name, a.URL,
			a.ContactEmail, a.ContactName, installations.StatusActive, u.Credentials.TokenType, ct, keyID, now, now); err != nil {
			return fmt.Errorf("upsert installation: %w", err)
		}
		// The row holds what was just encoded: take scopes and policies
		// from u rather than decoding them back.
		r.Scopes, r.AcceptedPolicies = "", ""
		out = r.domain()
		out.Scopes, out.AcceptedPolicies = u.Scopes, u.AcceptedPolicies
		// created_at is kept on conflict, so only a new row carries now.
		typ := installations.EventInstallationCreated
		if r.CreatedAt != now {
			typ = installations.EventInstallationUpdated
		}
		return appendEvent(ctx, tx, installations.NewEvent{Type: typ, InstallationID: u.ID, Subject: u.ID, Data: upsertEventData}, s.db.now())
	})
	return out, err
}

// restartFinalized makes an upsert of a finalized installation a fresh
// install: its old resources (with their projects and prepaid balances,
// and what billing kept of deleted ones) are deleted, so no surface shows
// or bills them again, and its plan, notification, team, projects, unpaid
// invoices' dunning and creation time start over (billing starts at the
// new creation). Its history stays: invoices,
// usage records, the feed.
func restartFinalized(ctx context.Context, tx *sqlx.Tx, id string, now int64) error {
	res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE installations SET billing_plan_id = '', notification = '',
		team_id = '', account_id = '', project_selection = '', projects = '[]',
		created_at = ? WHERE id = ? AND status = ?`), now, id, installations.StatusDeleted)
	if err != nil {
		return fmt.Errorf("restart finalized installation: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	for _, q := range []string{
		`DELETE FROM resource_projects WHERE installation_id = ?`,
		`DELETE FROM balance_draws WHERE installation_id = ? AND resource_id <> ''`,
		`DELETE FROM balances WHERE installation_id = ? AND resource_id <> ''`,
		`DELETE FROM resources WHERE installation_id = ?`,
		// Kept for billing the old installation, which is settled.
		`DELETE FROM deleted_resources WHERE installation_id = ?`,
		// What dunning and a token rotation kept of the old installation.
		`DELETE FROM dunning_cases WHERE installation_id = ? AND paid_at IS NULL`,
		`DELETE FROM dunning_suspensions WHERE installation_id = ?`,
		`DELETE FROM dunning_notices WHERE installation_id = ?`,
		`DELETE FROM credential_rotations WHERE installation_id = ?`,
	} {
		if _, err := tx.ExecContext(ctx, tx.Rebind(q), id); err != nil {
			return fmt.Errorf("restart finalized installation: %w", err)
		}
	}
	return nil
}

// Get returns one installation, deleted ones included.
func (s *Installations) Get(ctx context.Context, id string) (installations.Installation, error) {
	return getInstallation(ctx, s.db.Read, s.db.Rebind, id)
}

func getInstallation(ctx context.Context, q sqlx.QueryerContext, rebind func(string) string, id string) (installations.Installation, error) {
	var r installationRow
	err := sqlx.GetContext(ctx, q, &r, rebind(`SELECT `+installationCols+` FROM installations WHERE id = ?`), id)
	if errors.Is(err, sql.ErrNoRows) {
		return installations.Installation{}, apperr.NotFoundf("installation %s not found", id)
	}
	if err != nil {
		return installations.Installation{}, fmt.Errorf("get installation: %w", err)
	}
	return r.domain(), nil
}

// List returns every installation, oldest first.
func (s *Installations) List(ctx context.Context) ([]installations.Installation, error) {
	var rows []installationRow
	if err := s.db.Read.SelectContext(ctx, &rows, `SELECT `+installationCols+` FROM installations ORDER BY created_at, id`); err != nil {
		return nil, fmt.Errorf("list installations: %w", err)
	}
	return domains(rows), nil
}

// SetPlan records the installation-level billing plan.
func (s *Installations) SetPlan(ctx context.Context, id, planID string) (installations.Installation, error) {
	return s.update(ctx, id, installations.EventInstallationUpdated, map[string]string{"billingPlanId": planID},
		`UPDATE installations SET billing_plan_id = ?, updated_at = ? WHERE id = ?`, planID, Millis(s.db.now()), id)
}

// MarkDeleted records the uninstall and, if wipeToken, erases the token:
// the installation is then deleted (finalized), else pending_finalization.
func (s *Installations) MarkDeleted(ctx context.Context, id string, wipeToken bool) (installations.Installation, error) {
	var out installations.Installation
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		if err := markDeleted(ctx, tx, id, wipeToken, s.db.now()); err != nil {
			return err
		}
		var err error
		out, err = getInstallation(ctx, tx, tx.Rebind, id)
		return err
	})
	return out, err
}

// markDeleted is MarkDeleted inside tx; the webhook for an uninstall runs
// it in the transaction that stores the event. A repeat changes nothing
// and announces nothing; a finalized installation stays finalized.
func markDeleted(ctx context.Context, tx *sqlx.Tx, id string, wipeToken bool, at time.Time) error {
	now := Millis(at)
	status := installations.StatusPendingFinalization
	q := `UPDATE installations SET status = ?, deleted_at = COALESCE(deleted_at, ?), updated_at = ? WHERE id = ?`
	if wipeToken {
		status = installations.StatusDeleted
		q = `UPDATE installations SET status = ?, deleted_at = COALESCE(deleted_at, ?), updated_at = ?,
			token_ciphertext = '', token_key_id = '' WHERE id = ?`
	}
	cur, err := getInstallation(ctx, tx, tx.Rebind, id)
	if err != nil {
		return err
	}
	if cur.Status == status || cur.Finalized() {
		return nil
	}
	return updateInTx(ctx, tx, id, installations.NewEvent{Type: installations.EventInstallationDeleted, InstallationID: id,
		Subject: id, Data: map[string]bool{"finalized": wipeToken}}, at, q, status, now, now, id)
}

// update runs q and appends an event of type typ in one transaction.
func (s *Installations) update(ctx context.Context, id, typ string, data any, q string, args ...any) (installations.Installation, error) {
	var out installations.Installation
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		e := installations.NewEvent{Type: typ, InstallationID: id, Subject: id, Data: data}
		if err := updateInTx(ctx, tx, id, e, s.db.now(), q, args...); err != nil {
			return err
		}
		var err error
		out, err = getInstallation(ctx, tx, tx.Rebind, id)
		return err
	})
	return out, err
}

// updateInTx runs q on installation id and appends e.
func updateInTx(ctx context.Context, tx *sqlx.Tx, id string, e installations.NewEvent, at time.Time, q string, args ...any) error {
	res, err := tx.ExecContext(ctx, tx.Rebind(q), args...)
	if err != nil {
		return fmt.Errorf("update installation: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apperr.NotFoundf("installation %s not found", id)
	}
	return appendEvent(ctx, tx, e, at)
}

// ErrNoToken means the installation's token was wiped after finalization.
var ErrNoToken = apperr.New(apperr.Conflict, "no_token", "the installation has no Vercel access token")

// Token decrypts the installation's Vercel access token.
func (s *Installations) Token(ctx context.Context, id string) (string, error) {
	var r struct {
		CT    string `db:"token_ciphertext"`
		KeyID string `db:"token_key_id"`
	}
	err := s.db.Read.GetContext(ctx, &r, s.db.Rebind(`SELECT token_ciphertext, token_key_id FROM installations WHERE id = ?`), id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", apperr.NotFoundf("installation %s not found", id)
	}
	if err != nil {
		return "", fmt.Errorf("read token: %w", err)
	}
	if r.CT == "" {
		return "", ErrNoToken
	}
	return s.vault.Open(id, r.CT, r.KeyID)
}
