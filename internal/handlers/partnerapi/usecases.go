package partnerapi

import (
	"context"
	"encoding/json"

	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/lifecycle"
	"github.com/vercel-partner/partner-server/internal/provisioning"
	"github.com/vercel-partner/partner-server/internal/resources"
	"github.com/vercel-partner/partner-server/internal/transfers"
)

// The use cases Vercel's calls run, as small interfaces so a test can
// put fakes behind the handlers; the app wires the real services.
type (
	// Installations is the installation's life (lifecycle.Service).
	Installations interface {
		Install(ctx context.Context, u installations.Upsert) (installations.Installation, error)
		Get(ctx context.Context, id string) (installations.Installation, error)
		SetPlan(ctx context.Context, id string, planID *string) (installations.Installation, error)
		Uninstall(ctx context.Context, id string) (finalized bool, err error)
		CreditPurchase(ctx context.Context, installationID, invoiceID string) (installations.CreditResult, error)
	}
	// Resources is what Vercel asks of resources (resources.Service).
	Resources interface {
		// The writes take the request's claimed Idempotency-Key
		// (handlers.Keyed): their answer commits with their effect.
		Provision(ctx context.Context, key installations.KeyClaim, installationID string, req resources.Provision) (resources.Provisioned, error)
		Get(ctx context.Context, installationID, resourceID string) (installations.Resource, error)
		Update(ctx context.Context, key installations.KeyClaim, installationID, resourceID string, p resources.Patch) (installations.Resource, error)
		Delete(ctx context.Context, key installations.KeyClaim, installationID, resourceID string) error
		Rotate(ctx context.Context, key installations.KeyClaim, installationID, resourceID, reason string, hours *json.Number) (resources.Rotation, error)
		REPL(ctx context.Context, installationID, resourceID, input string, readOnly bool) ([]provisioning.Block, error)
	}
	// Transfers is Claim Deployments (transfers.Service).
	Transfers interface {
		Create(ctx context.Context, sourceID string, req transfers.Request) (installations.TransferClaim, error)
		Verify(ctx context.Context, targetID, claimID string) (*installations.BillingPlan, error)
		Accept(ctx context.Context, targetID, claimID string) error
	}
)

var (
	_ Installations = (*lifecycle.Service)(nil)
	_ Resources     = (*resources.Service)(nil)
	_ Transfers     = (*transfers.Service)(nil)
)
