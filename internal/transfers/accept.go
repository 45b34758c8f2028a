package transfers

import (
	"context"
	"sync"

	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/provisioning"
)

// Accept is the target's acceptance of a claim. In one transaction,
// holding a lock on the claim, it checks the claim and both
// installations again, finds every resource still in the source, and
// moves them (with project connections and balances, on the plans Verify
// answered) to the target, puts resource.transferred on the feed and
// marks the claim accepted: all of it or nothing. A repeat by the same
// target changes nothing; another target gets ErrClaimAccepted. After the
// commit the hook, if any, is told of each resource; its failure undoes
// nothing.
func (s *Service) Accept(ctx context.Context, targetID, claimID string) error {
	var (
		claim  installations.TransferClaim
		moved  []installations.Resource
		repeat bool
	)
	now := s.Now()
	err := s.Tx(ctx, func(tx installations.Tx) error {
		moved = moved[:0]
		tt, err := transferTx(tx)
		if err != nil {
			return err
		}
		if claim, err = tt.LockClaim(ctx, claimID); err != nil {
			return err
		}
		if repeat, err = claim.Takes(targetID, now); err != nil || repeat {
			return err
		}
		if err := bothLive(ctx, tx, claim.SourceID, targetID); err != nil {
			return err
		}
		found, err := tt.LockResources(ctx, claim.SourceID, claim.ResourceIDs)
		if err != nil {
			return err
		}
		if err := gone(claim.ResourceIDs, found); err != nil {
			return err
		}
		plans, err := s.plansUnder(found, targetID)
		if err != nil {
			return err
		}
		for i, r := range found {
			m, err := tt.MoveResource(ctx, claim.SourceID, targetID, r.ID, plans[i], now)
			if err != nil {
				return err
			}
			moved = append(moved, m)
			if err := announcePlan(ctx, tx, r, m); err != nil {
				return err
			}
		}
		if err := tt.AcceptClaim(ctx, claimID, targetID, now); err != nil {
			return err
		}
		return tx.AppendEvent(ctx, installations.NewEvent{Type: installations.EventResourceTransferred,
			InstallationID: targetID, Subject: claimID, Data: map[string]any{
				"claimId": claimID, "resourceIds": claim.ResourceIDs, "from": claim.SourceID, "to": targetID}})
	})
	if err != nil || repeat {
		return err
	}
	s.Log.InfoContext(ctx, "transfer request accepted", "claim_id", claimID, "from", claim.SourceID,
		"to", targetID, "resources", len(moved))
	s.tell(ctx, claim.ID, claim.SourceID, moved)
	return nil
}

// bothLive refuses a transfer out of or into an uninstalled installation.
func bothLive(ctx context.Context, tx installations.Tx, sourceID, targetID string) error {
	target, err := tx.Installation(ctx, targetID)
	if err != nil {
		return err
	}
	if err := target.Live(); err != nil {
		return err
	}
	source, err := tx.Installation(ctx, sourceID)
	if err != nil || source.Live() != nil {
		return errSourceGone
	}
	return nil
}

// announcePlan puts a plan the transfer changed on the feed, as any plan
// change of the partner's side is.
func announcePlan(ctx context.Context, tx installations.Tx, before, after installations.Resource) error {
	if before.BillingPlanID == after.BillingPlanID {
		return nil
	}
	return tx.AppendEvent(ctx, installations.NewEvent{Type: installations.EventResourceUpdateRequested,
		InstallationID: after.InstallationID, Subject: after.ID, Data: map[string]string{"resourceId": after.ID,
			"previousBillingPlanId": before.BillingPlanID, "billingPlanId": after.BillingPlanID}})
}

// tell sends resource.transfer to the hook for each moved resource, all
// at once, each bounded by the hook's timeout. A failure is logged: the
// transfer stands, and the feed has it.
func (s *Service) tell(ctx context.Context, claimID, sourceID string, moved []installations.Resource) {
	if s.Hook == nil {
		return
	}
	ctx = context.WithoutCancel(ctx)
	var wg sync.WaitGroup
	for _, r := range moved {
		wg.Go(func() {
			// One webhook-id per claim and resource: the hook can tell a
			// repeat from a new transfer.
			_, err := s.Hook.Call(ctx, provisioning.Request{Type: provisioning.TypeTransfer, InstallationID: r.InstallationID,
				Resource: provisioning.ResourceOf(r, s.Catalog), FromInstallationID: sourceID,
				WebhookID: "msg_" + claimID + "_" + r.ID})
			if err != nil {
				s.Log.WarnContext(ctx, "provisioning hook failed; the transfer stands", "type", provisioning.TypeTransfer,
					"installation_id", r.InstallationID, "resource_id", r.ID, "err", err)
			}
		})
	}
	wg.Wait()
}
