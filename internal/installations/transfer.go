package installations

import (
	"context"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
)

// Bounds of a transfer request.
const (
	MaxClaimResources = 50
	MaxClaimLife      = 30 * 24 * time.Hour
)

// EventResourceTransferred announces accepted transfer requests on the
// feed: {resourceIds, from, to, claimId}.
const EventResourceTransferred = "resource.transferred"

// TransferClaim is a transfer request (Vercel's Claim Deployments): resources of
// a source installation offered to whichever installation accepts it
// before it expires. Its ID is the providerClaimId Vercel holds.
type TransferClaim struct {
	ID          string
	SourceID    string
	ResourceIDs []string
	ExpiresAt   time.Time
	CreatedAt   time.Time
	// TargetID and AcceptedAt are set once an installation accepted it.
	TargetID   string
	AcceptedAt *time.Time
}

// Answers of a claim to a verify or an accept.
var (
	ErrClaimAccepted = apperr.New(apperr.Conflict, "claim_accepted",
		"the transfer request was already accepted")
	ErrClaimExpired = apperr.New(apperr.Unprocessable, "claim_expired",
		"the transfer request has expired")
	ErrClaimToSource = apperr.New(apperr.Unprocessable, "claim_to_source",
		"the resources are in this installation already")
)

// Accepted reports whether an installation accepted the claim.
func (c TransferClaim) Accepted() bool { return c.AcceptedAt != nil }

// Open reports whether the claim still holds its resources at now: not
// accepted and not expired.
func (c TransferClaim) Open(now time.Time) bool { return !c.Accepted() && now.Before(c.ExpiresAt) }

// Takes is the rule for a target verifying or accepting the claim at now:
// repeat is true when this target accepted it already (a repeated accept
// changes nothing); otherwise an accepted claim is ErrClaimAccepted, an
// expired one ErrClaimExpired, and the source cannot take its own.
func (c TransferClaim) Takes(target string, now time.Time) (repeat bool, err error) {
	switch {
	case c.Accepted() && c.TargetID == target:
		return true, nil
	case c.Accepted():
		return false, ErrClaimAccepted
	case !now.Before(c.ExpiresAt):
		return false, ErrClaimExpired
	case c.SourceID == target:
		return false, ErrClaimToSource
	}
	return false, nil
}

// TransferStore reads transfer requests.
type TransferStore interface {
	// Claim answers an apperr NotFound error for an unknown id.
	Claim(ctx context.Context, id string) (TransferClaim, error)
}

// TransferTx is what a transfer changes in the transaction that makes it.
// On PostgreSQL the Lock methods take row locks held until the end of the
// transaction; SQLite's one writer serialises the transactions anyway.
type TransferTx interface {
	// InsertClaim records a new claim.
	InsertClaim(ctx context.Context, c TransferClaim) error
	// LockClaim returns a claim, locked; NotFound for an unknown id.
	LockClaim(ctx context.Context, id string) (TransferClaim, error)
	// LockResources returns those of ids that are resources of the
	// installation, locked, in the order of ids.
	LockResources(ctx context.Context, installationID string, ids []string) ([]Resource, error)
	// ClaimedResources returns those of ids held by an open claim of the
	// installation at now.
	ClaimedResources(ctx context.Context, installationID string, ids []string, now time.Time) ([]string, error)
	// MoveResource moves a resource, keeping its id, with its project
	// connections, experimentation items and prepaid balance, from one
	// installation to another,
	// on planID, at at; the source keeps what billing needs of it, as of
	// a deleted resource. Conflict when the resource is no longer in from
	// or to has one with its id.
	MoveResource(ctx context.Context, from, to, id, planID string, at time.Time) (Resource, error)
	// AcceptClaim records the claim accepted by target at at.
	AcceptClaim(ctx context.Context, id, target string, at time.Time) error
}
