package db

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/vercel-partner/partner-server/internal/installations"
)

// unbilled reads, in x, what of in may not be billed yet: from the start
// of its oldest unsettled period, its live resources, those deleted since
// and whether usage was reported since.
func unbilled(ctx context.Context, x *sqlx.Tx, in installations.Installation, now int64) (installations.Unbilled, error) {
	next, ok, err := nextPeriod(ctx, x, in.ID)
	if err != nil {
		return installations.Unbilled{}, err
	}
	u := installations.Unbilled{Since: installations.UnsettledFrom(in, next, ok, FromMillis(now))}
	if u.Live, err = listResources(ctx, x, in.ID); err != nil {
		return installations.Unbilled{}, err
	}
	if u.Deleted, err = deletedResources(ctx, x, in.ID, u.Since); err != nil {
		return installations.Unbilled{}, err
	}
	var found []int
	if err := x.SelectContext(ctx, &found, x.Rebind(`SELECT 1 FROM usage_records
		WHERE installation_id = ? AND at >= ? LIMIT 1`), in.ID, Millis(u.Since)); err != nil {
		return installations.Unbilled{}, fmt.Errorf("look for usage: %w", err)
	}
	u.Usage = len(found) > 0
	return u, nil
}
