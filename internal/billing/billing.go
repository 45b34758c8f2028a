// Package billing turns usage records and plans into what Vercel is sent:
// per subject (a resource or the installation) and meter the period's
// aggregate, the day's value, the billable quantity and the line total, in
// exact decimals rounded half-up to cents. It is pure logic: no storage, no
// HTTP, no clock of its own.
package billing

import (
	"errors"
	"fmt"
	"time"

	"github.com/vercel-partner/partner-server/internal/money"
)

// Meter types: how a meter's records aggregate over a period or a day.
const (
	Interval = "interval" // the sum of the values
	Total    = "total"    // the latest value by time
	Rate     = "rate"     // the largest value
)

// Plan types.
const (
	Subscription = "subscription" // invoiced after the period
	Prepayment   = "prepayment"   // drawn from a prepaid balance
)

// Meter is one metered dimension of a plan.
type Meter struct {
	Name     string // what usage records name
	Units    string // e.g. "GB"
	Type     string // Interval, Total or Rate
	Price    money.Decimal
	Included money.Decimal // free units per period
}

// What becomes of prepaid usage beyond the balance (a prepayment plan's
// Exhausted): the balance never goes below zero either way.
const (
	ExhaustedBill    = "bill"    // invoiced after the period as ordinary usage (the default)
	ExhaustedSuspend = "suspend" // not invoiced; the resource is to be suspended
)

// Plan is a billing plan as far as pricing is concerned.
type Plan struct {
	ID     string
	Name   string
	Type   string         // Subscription or Prepayment
	Price  *money.Decimal // flat fee per period; nil: none
	Meters []Meter
	// Exhausted is ExhaustedBill ("" too) or ExhaustedSuspend.
	Exhausted string
}

// Suspends reports whether prepaid usage beyond the balance suspends the
// resource rather than being invoiced.
func (p Plan) Suspends() bool { return p.Type == Prepayment && p.Exhausted == ExhaustedSuspend }

// Record is one usage record as reported by the partner's services.
type Record struct {
	ID         string
	ResourceID string // "": the installation
	Meter      string
	Value      money.Decimal
	At         time.Time
}

// Subject is a resource, or the installation (ResourceID ""), with its plan.
type Subject struct {
	ResourceID string
	Name       string
	Plan       Plan
}

// ValidatePlan reports the first reason p cannot be priced.
func ValidatePlan(p Plan) error {
	if p.Type != Subscription && p.Type != Prepayment {
		return fmt.Errorf("billing: plan %q: type must be %s or %s", p.ID, Subscription, Prepayment)
	}
	if p.Exhausted != "" && p.Exhausted != ExhaustedBill && p.Exhausted != ExhaustedSuspend {
		return fmt.Errorf("billing: plan %q: exhausted must be %s or %s", p.ID, ExhaustedBill, ExhaustedSuspend)
	}
	if p.Price != nil && p.Price.Sign() < 0 {
		return fmt.Errorf("billing: plan %q: negative price", p.ID)
	}
	seen := make(map[string]bool, len(p.Meters))
	for _, m := range p.Meters {
		if err := validateMeter(m); err != nil {
			return fmt.Errorf("billing: plan %q: meter %q: %w", p.ID, m.Name, err)
		}
		if seen[m.Name] {
			return fmt.Errorf("billing: plan %q: meter %q appears twice", p.ID, m.Name)
		}
		seen[m.Name] = true
	}
	return nil
}

func validateMeter(m Meter) error {
	switch {
	case m.Name == "":
		return errors.New("name is required")
	case m.Type != Interval && m.Type != Total && m.Type != Rate:
		return errors.New("type must be interval, total or rate")
	case m.Price.Sign() < 0:
		return errors.New("negative price")
	case m.Included.Sign() < 0:
		return errors.New("negative included")
	}
	return nil
}
