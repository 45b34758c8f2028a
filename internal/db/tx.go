package db

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// tx is installations.Tx over one sqlx transaction.
type tx struct {
	x *sqlx.Tx
	d *DB
	// pre is the installation read with a delivery's number (PostgreSQL),
	// served to the first Installation and SealedToken calls for it.
	pre *prefetched
}

var (
	_ installations.Tx      = tx{}
	_ installations.TokenTx = tx{}
)

// prefetched is an installation row read earlier in the transaction.
type prefetched struct {
	id                string
	row               installationRow
	found             bool
	ciphertext, keyID string
	rowUsed, keyUsed  bool
}

func (t tx) Installation(ctx context.Context, id string) (installations.Installation, error) {
	if p := t.pre; p != nil && p.id == id && !p.rowUsed {
		p.rowUsed = true
		if !p.found {
			return installations.Installation{}, apperr.NotFoundf("installation %s not found", id)
		}
		return p.row.domain(), nil
	}
	return getInstallation(ctx, t.x, t.x.Rebind, id)
}

// SealedToken is the installation's sealed token when this transaction
// already read it (with a delivery's number, on PostgreSQL), else empty:
// a read of its own here would only lengthen the transaction, on SQLite
// the one writer's.
func (t tx) SealedToken(_ context.Context, id string) (string, string, error) {
	p := t.pre
	if p == nil || p.id != id || p.keyUsed {
		return "", "", nil
	}
	p.keyUsed = true
	if !p.found {
		return "", "", apperr.NotFoundf("installation %s not found", id)
	}
	return p.ciphertext, p.keyID, nil
}

// forget drops what was read before a change of the installation.
func (t tx) forget() {
	if t.pre != nil {
		t.pre.rowUsed, t.pre.keyUsed = true, true
	}
}

func (t tx) FinalizeInstallation(ctx context.Context, id string) error {
	t.forget()
	now := Millis(t.d.now())
	_, err := t.x.ExecContext(ctx, t.x.Rebind(`UPDATE installations SET status = ?, deleted_at = COALESCE(deleted_at, ?),
		updated_at = ?, token_ciphertext = '', token_key_id = '' WHERE id = ?`), installations.StatusDeleted, now, now, id)
	if err != nil {
		return fmt.Errorf("finalize installation: %w", err)
	}
	return appendEvent(ctx, t.x, installations.NewEvent{Type: installations.EventInstallationDeleted,
		InstallationID: id, Subject: id, Data: map[string]bool{"finalized": true}}, t.d.now())
}

func (t tx) Resource(ctx context.Context, installationID, id string) (installations.Resource, error) {
	return getResource(ctx, t.x, t.x.Rebind, installationID, id)
}

func (t tx) PutResource(ctx context.Context, r installations.Resource) (installations.Resource, error) {
	return putResource(ctx, t.x, r, t.d.now())
}

func (t tx) UpdateResource(ctx context.Context, r installations.Resource) (installations.Resource, error) {
	return updateResource(ctx, t.x, r, t.d.now())
}

func (t tx) DeleteResource(ctx context.Context, installationID, id string) error {
	return deleteResource(ctx, t.x, installationID, id, t.d.now())
}

func (t tx) PutInvoice(ctx context.Context, inv installations.Invoice) error {
	return putInvoice(ctx, t.x, inv, t.d.now())
}

func (t tx) AppendEvent(ctx context.Context, e installations.NewEvent) error {
	return appendEvent(ctx, t.x, e, t.d.now())
}

func (t tx) ListResources(ctx context.Context, installationID string) ([]installations.Resource, error) {
	return listResources(ctx, t.x, installationID)
}

func (t tx) MarkInstallationDeleted(ctx context.Context, id string, wipeToken bool) error {
	t.forget()
	return markDeleted(ctx, t.x, id, wipeToken, t.d.now())
}

func (t tx) EndInstallationSessions(ctx context.Context, installationID string) error {
	return endInstallationSessions(ctx, t.x, installationID)
}

func (t tx) SetMemberRole(ctx context.Context, installationID, userID, role string) error {
	return setMemberRole(ctx, t.x, installationID, userID, role)
}

func (t tx) PutResourceProject(ctx context.Context, p installations.ResourceProject) error {
	return putResourceProject(ctx, t.x, p, t.d.now())
}

func (t tx) DeleteResourceProject(ctx context.Context, installationID, resourceID, projectID string) error {
	return deleteResourceProject(ctx, t.x, installationID, resourceID, projectID)
}

func (t tx) KeepAnswer(ctx context.Context, scope, key, owner string, r installations.IdempotentResponse) error {
	return keepAnswer(ctx, t.x, scope, key, owner, r)
}

func (t tx) Unbilled(ctx context.Context, in installations.Installation) (installations.Unbilled, error) {
	return unbilled(ctx, t.x, in, Millis(t.d.now()))
}

// InTx runs fn in one transaction as an installations.Tx.
func (d *DB) InTx(ctx context.Context, fn func(installations.Tx) error) error {
	return d.Tx(ctx, func(x *sqlx.Tx) error { return fn(tx{x: x, d: d}) })
}

func (t tx) SetInstallationNotification(ctx context.Context, id string, n json.RawMessage) error {
	return setInstallationColumn(ctx, t.x, id, "notification", string(n), t.d.now())
}

func (t tx) SetResourceNotification(ctx context.Context, installationID, resourceID string, n json.RawMessage) error {
	return setResourceNotification(ctx, t.x, installationID, resourceID, n, t.d.now())
}

func (t tx) MoveInstallation(ctx context.Context, id, teamID, accountID string) error {
	return moveInstallation(ctx, t.x, id, teamID, accountID, t.d.now())
}

func (t tx) SetInstallationScopes(ctx context.Context, id string, scopes []string) error {
	if scopes == nil {
		scopes = []string{}
	}
	list, _ := json.Marshal(scopes)
	return setInstallationColumn(ctx, t.x, id, "scopes", string(list), t.d.now())
}

func (t tx) SetInstallationProjects(ctx context.Context, id, selection string, added, removed []string) error {
	return setInstallationProjects(ctx, t.x, id, selection, added, removed, t.d.now())
}

func (t tx) InvoiceFailed(ctx context.Context, installationID, invoiceID, kind string, at time.Time) error {
	return invoiceFailed(ctx, t.x, installationID, invoiceID, kind, at)
}

func (t tx) InvoicePaid(ctx context.Context, installationID, invoiceID string, at time.Time) error {
	return invoicePaid(ctx, t.x, installationID, invoiceID, at)
}

func (t tx) EscalateDunning(ctx context.Context, installationID, invoiceID string, at time.Time) error {
	return escalateDunning(ctx, t.x, installationID, invoiceID, at)
}

func (t tx) PutDunningSuspension(ctx context.Context, s installations.DunningSuspension) error {
	return putDunningSuspension(ctx, t.x, s)
}

func (t tx) DeleteDunningSuspension(ctx context.Context, installationID, resourceID string) error {
	return deleteDunningSuspension(ctx, t.x, installationID, resourceID)
}

func (t tx) SetDunningNotice(ctx context.Context, installationID string, n json.RawMessage) error {
	return setDunningNotice(ctx, t.x, installationID, n)
}

func (t tx) PutExperimentationItem(ctx context.Context, it installations.ExperimentationItem) error {
	if it.UpdatedAt.IsZero() {
		it.UpdatedAt = t.d.now()
	}
	return putExperimentationItem(ctx, t.x, it)
}

func (t tx) DeleteExperimentationItem(ctx context.Context, installationID, resourceID, itemID string) error {
	return deleteExperimentationItem(ctx, t.x, installationID, resourceID, itemID)
}

func (t tx) AppendAudit(ctx context.Context, e installations.AuditEntry) error {
	return appendAudit(ctx, t.x, e)
}
