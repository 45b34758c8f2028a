// Package installations is the domain of the server: an installation of our
// integration in a Vercel account, its resources, invoices, events and
// deliveries, the rules they keep, and the store interfaces the database
// implements.
package installations

import (
	"context"
	"encoding/json"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
)

// Status of an installation on our side.
// StatusPendingFinalization is an uninstalled installation that may still
// be billed; StatusDeleted is one that is finalized (nothing more to bill).
const (
	StatusActive              = "active"
	StatusPendingFinalization = "pending_finalization"
	StatusDeleted             = "deleted"
)

// Uninstalled reports whether Vercel deleted the installation, finalized or not.
func (in Installation) Uninstalled() bool {
	return in.Status == StatusDeleted || in.Status == StatusPendingFinalization
}

// Finalized reports whether the installation is finalized: uninstalled,
// billed to the end, and told so to Vercel (or never billable).
func (in Installation) Finalized() bool { return in.Status == StatusDeleted }

// ErrFinalized is the answer of a finalized installation to anything
// more: its token is gone and Vercel expects nothing more from us.
var ErrFinalized = apperr.New(apperr.Conflict, "installation_finalized",
	"the installation is finalized; it takes nothing more")

// TakesMore is the rule "a finalized installation takes nothing more"
// (no write to Vercel, no usage): ErrFinalized once finalized.
func (in Installation) TakesMore() error {
	if in.Finalized() {
		return ErrFinalized
	}
	return nil
}

// ErrUninstalled is the answer of an uninstalled installation to Vercel's
// changes of it or of its resources.
var ErrUninstalled = apperr.New(apperr.Conflict, "conflict", "the installation is deleted")

// Live is the rule "Vercel changes nothing of an uninstalled
// installation": ErrUninstalled once uninstalled, finalized or not.
func (in Installation) Live() error {
	if in.Uninstalled() {
		return ErrUninstalled
	}
	return nil
}

// ErrNotUninstalled refuses to finalize an installation Vercel did not
// uninstall.
var ErrNotUninstalled = apperr.New(apperr.Conflict, "installation_not_deleted", "only an uninstalled installation can be finalized")

// Finalizable is the rule "only an uninstalled installation waiting for
// its finalization is finalized": ErrNotUninstalled otherwise.
func (in Installation) Finalizable() error {
	if in.Status != StatusPendingFinalization {
		return ErrNotUninstalled
	}
	return nil
}

// Installation is one installation of the integration (icfg_...). It never
// carries the access token: that is read through Store.Token only.
type Installation struct {
	ID               string            `json:"id"`
	Scopes           []string          `json:"scopes"`
	AcceptedPolicies map[string]string `json:"acceptedPolicies"`
	Account          Account           `json:"account"`
	// TeamID and AccountID are the Vercel team and account the
	// installation belongs to, as its transfer told us ("" until then).
	TeamID    string `json:"teamId"`
	AccountID string `json:"accountId"`
	// ProjectSelection ("all" or "selected") and Projects are the
	// projects the installation may reach, as Vercel's permission
	// upgrades told us.
	ProjectSelection string          `json:"projectSelection,omitempty"`
	Projects         []string        `json:"projects"`
	BillingPlanID    string          `json:"billingPlanId,omitempty"`
	Notification     json.RawMessage `json:"notification,omitempty"`
	Status           string          `json:"status"`
	CreatedAt        time.Time       `json:"createdAt"`
	UpdatedAt        time.Time       `json:"updatedAt"`
	DeletedAt        *time.Time      `json:"deletedAt,omitempty"`
}

// Account is what Vercel told us about the installing account.
type Account struct {
	Name         string `json:"name,omitempty"`
	URL          string `json:"url"`
	ContactEmail string `json:"contactEmail"`
	ContactName  string `json:"contactName,omitempty"`
}

// Credentials is the Vercel access token for one installation.
type Credentials struct {
	AccessToken string
	TokenType   string
}

// Upsert is Vercel's Upsert Installation request, validated.
type Upsert struct {
	ID               string
	Scopes           []string
	AcceptedPolicies map[string]string
	Account          Account
	Credentials      Credentials
}

// Sealer keeps text encrypted at rest, bound to associated data (a row's
// id), with the id of the key that sealed it (internal/vault).
type Sealer interface {
	Seal(aad, plaintext string) (ciphertext, keyID string, err error)
	Open(aad, ciphertext, keyID string) (string, error)
}

// Store keeps installations. Implementations encrypt the token with a
// Sealer.
type Store interface {
	// Upsert creates or re-installs; a repeat replaces the token and account
	// and keeps plan and notification.
	Upsert(ctx context.Context, u Upsert) (Installation, error)
	Get(ctx context.Context, id string) (Installation, error)
	List(ctx context.Context) ([]Installation, error)
	SetPlan(ctx context.Context, id, planID string) (Installation, error)
	// MarkDeleted records the uninstall; wipeToken drops the token when
	// nothing more can be billed.
	// The status becomes StatusDeleted when wipeToken, else
	// StatusPendingFinalization.
	MarkDeleted(ctx context.Context, id string, wipeToken bool) (Installation, error)
	// Token decrypts the installation's Vercel access token.
	Token(ctx context.Context, id string) (string, error)
}
