package installations

import (
	"context"
	"encoding/json"
)

// Tx is a unit of work in one database transaction: what is changed
// through it commits together with the write that caused it, or not at all.
type Tx interface {
	// Installation answers an apperr NotFound error for an unknown id.
	Installation(ctx context.Context, id string) (Installation, error)
	// FinalizeInstallation marks an uninstalled installation deleted and
	// wipes its token: nothing more can be sent for it.
	FinalizeInstallation(ctx context.Context, id string) error
	Resource(ctx context.Context, installationID, id string) (Resource, error)
	PutResource(ctx context.Context, r Resource) (Resource, error)
	// UpdateResource changes an existing resource (NotFound when it is
	// gone): a change never brings back a resource deleted or moved
	// meanwhile.
	UpdateResource(ctx context.Context, r Resource) (Resource, error)
	DeleteResource(ctx context.Context, installationID, id string) error
	PutInvoice(ctx context.Context, inv Invoice) error
	AppendEvent(ctx context.Context, e NewEvent) error
	ListResources(ctx context.Context, installationID string) ([]Resource, error)
	// MarkInstallationDeleted is Store.MarkDeleted inside the transaction.
	MarkInstallationDeleted(ctx context.Context, id string, wipeToken bool) error
	// EndInstallationSessions ends every session of an installation.
	EndInstallationSessions(ctx context.Context, installationID string) error
	// SetMemberRole is SessionStore.SetMemberRole inside the transaction.
	SetMemberRole(ctx context.Context, installationID, userID, role string) error
	// PutResourceProject records (or replaces) a connected project.
	PutResourceProject(ctx context.Context, p ResourceProject) error
	// DeleteResourceProject forgets a connected project.
	DeleteResourceProject(ctx context.Context, installationID, resourceID, projectID string) error
	// KeepAnswer stores the answer of an idempotency claim that owner
	// still holds, ErrClaimLost otherwise (IdempotencyStore.KeepAnswer).
	KeepAnswer(ctx context.Context, scope, key, owner string, r IdempotentResponse) error
	// Unbilled is what of the installation may not be billed yet
	// (Catalog.NothingBillable decides).
	Unbilled(ctx context.Context, in Installation) (Unbilled, error)
	// DeploymentTx: deployment actions, check runs and their hook calls.
	DeploymentTx
	// SetInstallationNotification replaces the installation's
	// notification; nil clears it.
	SetInstallationNotification(ctx context.Context, id string, n json.RawMessage) error
	// SetResourceNotification replaces a resource's notification; nil
	// clears it.
	SetResourceNotification(ctx context.Context, installationID, resourceID string, n json.RawMessage) error
	// MoveInstallation records the team and account an installation was
	// transferred to.
	MoveInstallation(ctx context.Context, id, teamID, accountID string) error
	// SetInstallationScopes replaces the installation's scopes.
	SetInstallationScopes(ctx context.Context, id string, scopes []string) error
	// SetInstallationProjects records the projects the installation may
	// reach: selection ("" keeps it), plus added, minus removed.
	SetInstallationProjects(ctx context.Context, id, selection string, added, removed []string) error
	DunningTx
	// PutExperimentationItem keeps (or replaces) our copy of an item.
	PutExperimentationItem(ctx context.Context, it ExperimentationItem) error
	// DeleteExperimentationItem forgets our copy of an item.
	DeleteExperimentationItem(ctx context.Context, installationID, resourceID, itemID string) error
	// AppendAudit records an action in the audit log with the change it
	// made.
	AppendAudit(ctx context.Context, e AuditEntry) error
}

// LocalChange runs inside the transaction that records a delivery.
type LocalChange func(ctx context.Context, tx Tx) error

// TokenTx is a Tx that may have read an installation's sealed token
// along with something else it needed (the database's does, on
// PostgreSQL). The delivery queue asks for it so that a write's first
// attempt needs no read of its own.
type TokenTx interface {
	// SealedToken is the token as stored, or empty when the transaction
	// has not read it; an apperr NotFound error for an unknown id.
	SealedToken(ctx context.Context, id string) (ciphertext, keyID string, err error)
}
