package lifecycle

import (
	"context"

	"github.com/vercel-partner/partner-server/internal/installations"
)

// Uninstall is Vercel's deletion of an installation (DELETE
// /v1/installations/{id}), in a transaction of its own; see UninstallIn.
func (s *Service) Uninstall(ctx context.Context, id string) (finalized bool, err error) {
	err = s.Tx(ctx, func(tx installations.Tx) error {
		finalized, err = s.UninstallIn(ctx, tx, id)
		return err
	})
	if err != nil {
		return false, err
	}
	s.Log.InfoContext(ctx, "installation deleted", "installation_id", id, "finalized", finalized)
	return finalized, nil
}

// UninstallIn uninstalls installation id in tx, the one rule for Vercel's
// DELETE and the integration-configuration.removed webhook (which runs it
// in the transaction that stores the event). The installation is
// finalized at once (its token wiped) only when nothing can be billed any
// more (Catalog.NothingBillable: resources deleted in an unsettled period
// and reported usage count too); otherwise it waits, pending
// finalization, for its final invoice. A repeat changes nothing; a
// finalized one stays so.
func (s *Service) UninstallIn(ctx context.Context, tx installations.Tx, id string) (finalized bool, err error) {
	in, err := tx.Installation(ctx, id)
	if err != nil || in.DeletedAt != nil {
		return in.Finalized(), err
	}
	u, err := tx.Unbilled(ctx, in)
	if err != nil {
		return false, err
	}
	finalized = s.Catalog.NothingBillable(in, u)
	return finalized, tx.MarkInstallationDeleted(ctx, id, finalized)
}
