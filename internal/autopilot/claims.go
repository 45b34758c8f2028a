package autopilot

import (
	"context"
	"fmt"
	"time"

	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// claimMark claims a billing mark in a delivery's transaction.
func claimMark(id, kind string, period time.Time) deliveries.Local {
	return func(ctx context.Context, tx installations.Tx, deliveryID string) error {
		ok, err := billingTx(tx).ClaimMark(ctx, id, kind, period, deliveryID)
		if err == nil && !ok {
			err = errQueued
		}
		return err
	}
}

func billingTx(tx installations.Tx) installations.BillingTx {
	if b, ok := tx.(installations.BillingTx); ok {
		return b
	}
	return noBillingTx{}
}

// noBillingTx refuses: a store without billing bookkeeping cannot promise
// exactly once.
type noBillingTx struct{}

func (noBillingTx) ClaimInvoiceRun(context.Context, installations.InvoiceRun) (bool, error) {
	return false, errNoBillingTx
}

func (noBillingTx) ClaimMark(context.Context, string, string, time.Time, string) (bool, error) {
	return false, errNoBillingTx
}

func (noBillingTx) RequeueInvoiceRun(context.Context, string, time.Time, string, string, string) (bool, error) {
	return false, errNoBillingTx
}

var errNoBillingTx = fmt.Errorf("autopilot: the store's transactions keep no billing bookkeeping")
