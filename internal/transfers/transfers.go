// Package transfers holds the use cases of resources that move between
// installations: Vercel's transfer requests (Claim Deployments). The
// source installation offers resources in a claim; another installation
// verifies it, then accepts it, and in the transaction of the accept the
// resources, their project connections and prepaid balances move to it.
// Usage before the accept stays billed to the source.
package transfers

import (
	"context"
	"crypto/rand"
	"log/slog"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/provisioning"
)

// Deps are the service's collaborators.
type Deps struct {
	Installations installations.Store
	Resources     installations.ResourceStore
	Transfers     installations.TransferStore
	// Tx runs fn in one database transaction (db.DB.InTx); its Tx must be
	// an installations.TransferTx too.
	Tx      func(ctx context.Context, fn func(installations.Tx) error) error
	Catalog installations.Catalog
	// Hook is the provisioning hook, told of each accepted transfer after
	// the commit; nil is feed mode (the feed tells in any mode).
	Hook *provisioning.Client
	Log  *slog.Logger // optional
	// Now is the clock of expiry; default time.Now.
	Now func() time.Time
}

// Service is the transfer use cases.
type Service struct {
	Deps
}

// New returns the service.
func New(d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{Deps: d}
}

// Create is the source installation's transfer request: every resource
// must be one of its own and in no other open claim. It returns the new
// claim, whose unguessable id is Vercel's providerClaimId.
func (s *Service) Create(ctx context.Context, sourceID string, req Request) (installations.TransferClaim, error) {
	now := s.Now()
	if err := req.validate(now); err != nil {
		return installations.TransferClaim{}, err
	}
	if err := s.live(ctx, sourceID); err != nil {
		return installations.TransferClaim{}, err
	}
	c := installations.TransferClaim{ID: "rtc_" + rand.Text(), SourceID: sourceID, ResourceIDs: req.ResourceIDs,
		ExpiresAt: time.UnixMilli(*req.expires).UTC(), CreatedAt: now.UTC()}
	err := s.Tx(ctx, func(tx installations.Tx) error {
		tt, err := transferTx(tx)
		if err != nil {
			return err
		}
		found, err := tt.LockResources(ctx, sourceID, c.ResourceIDs)
		if err != nil {
			return err
		}
		if err := notOwned(c.ResourceIDs, found); err != nil {
			return err
		}
		held, err := tt.ClaimedResources(ctx, sourceID, c.ResourceIDs, now)
		if err != nil {
			return err
		}
		if len(held) > 0 {
			return apperr.New(apperr.Conflict, "resource_claimed",
				"already in an open transfer request: "+joinIDs(held))
		}
		return tt.InsertClaim(ctx, c)
	})
	if err != nil {
		return installations.TransferClaim{}, err
	}
	s.Log.InfoContext(ctx, "transfer request created", "installation_id", sourceID, "claim_id", c.ID,
		"resources", len(c.ResourceIDs))
	return c, nil
}

// Verify is the target's check of a claim before it accepts it: it
// answers the plan the resources will have under the target (nil when
// they have none, or not all the same one). An accepted claim is
// ErrClaimAccepted, an expired one ErrClaimExpired.
func (s *Service) Verify(ctx context.Context, targetID, claimID string) (*installations.BillingPlan, error) {
	c, err := s.Transfers.Claim(ctx, claimID)
	if err != nil {
		return nil, err
	}
	repeat, err := c.Takes(targetID, s.Now())
	switch {
	case err != nil:
		return nil, err
	case repeat:
		return nil, installations.ErrClaimAccepted
	}
	if err := s.live(ctx, targetID); err != nil {
		return nil, err
	}
	if err := s.live(ctx, c.SourceID); err != nil {
		return nil, errSourceGone
	}
	var found []installations.Resource
	for _, id := range c.ResourceIDs {
		r, err := s.Resources.GetResource(ctx, c.SourceID, id)
		if err != nil && apperr.KindOf(err) != apperr.NotFound {
			return nil, err
		}
		if err == nil {
			found = append(found, r)
		}
	}
	if err := gone(c.ResourceIDs, found); err != nil {
		return nil, err
	}
	plans, err := s.plansUnder(found, targetID)
	if err != nil {
		return nil, err
	}
	return s.commonPlan(plans), nil
}

// live refuses an installation Vercel uninstalled (404 unknown, 409
// uninstalled).
func (s *Service) live(ctx context.Context, id string) error {
	in, err := s.Installations.Get(ctx, id)
	if err != nil {
		return err
	}
	return in.Live()
}

var (
	errSourceGone = apperr.New(apperr.Conflict, "source_uninstalled",
		"the installation the resources are in was uninstalled")
	errNoTransferTx = apperr.New(apperr.Internal, "internal_error", "the store cannot make transfers")
)

func transferTx(tx installations.Tx) (installations.TransferTx, error) {
	if tt, ok := tx.(installations.TransferTx); ok {
		return tt, nil
	}
	return nil, errNoTransferTx
}
