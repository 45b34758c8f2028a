package installations

import (
	"context"
	"time"
)

// Credit adds Cents to the prepaid balance of one resource ("" for the
// installation itself).
type Credit struct {
	ResourceID string
	Cents      int64
}

// Balance is a prepaid balance in integer cents.
type Balance struct {
	ResourceID string `json:"resourceId,omitempty"`
	Cents      int64  `json:"currencyValueInCents"`
}

// CreditResult is what one credited invoice left: the balances it touched,
// as they were right after it, and when it was credited.
type CreditResult struct {
	At       time.Time
	Balances []Balance
}

// BalanceStore keeps prepaid balances.
type BalanceStore interface {
	// CreditInvoice applies credits for one invoice exactly once: a repeat
	// (even a concurrent one) changes nothing and returns the first result.
	CreditInvoice(ctx context.Context, installationID, invoiceID string, credits []Credit) (CreditResult, error)
	// Balances lists an installation's balances.
	Balances(ctx context.Context, installationID string) ([]Balance, error)
}
