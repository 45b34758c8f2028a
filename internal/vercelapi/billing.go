package vercelapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
)

// Period is a billing period; Start must be before End.
type Period struct {
	Start Time `json:"start" vercel:"required"`
	End   Time `json:"end" vercel:"required"`
}

// Item is one billed line, in billing data and invoices.
type Item struct {
	BillingPlanID string      `json:"billingPlanId" vercel:"required"`
	ResourceID    string      `json:"resourceId,omitempty"` // absent: installation-level
	Start         Time        `json:"start,omitzero"`       // only when it differs from the period
	End           Time        `json:"end,omitzero"`
	Name          string      `json:"name" vercel:"required"`
	Details       string      `json:"details,omitempty"`
	Price         Money       `json:"price" vercel:"required"`    // per unit
	Quantity      json.Number `json:"quantity" vercel:"required"` // exact, e.g. "42.5"
	Units         string      `json:"units" vercel:"required"`
	Total         Money       `json:"total" vercel:"required"`
}

func (it *Item) validate(v *validator, path string) {
	v.required(join(path, "billingPlanId"), it.BillingPlanID)
	v.required(join(path, "name"), it.Name)
	v.money(join(path, "price"), it.Price, true)
	v.exact(join(path, "quantity"), it.Quantity)
	v.required(join(path, "units"), it.Units)
	v.money(join(path, "total"), it.Total, true)
	v.span(path, it.Start, it.End)
}

// Discount is one discount line, in billing data (object form) and invoices.
type Discount struct {
	BillingPlanID string `json:"billingPlanId" vercel:"required"`
	ResourceID    string `json:"resourceId,omitempty"`
	Start         Time   `json:"start,omitzero"`
	End           Time   `json:"end,omitzero"`
	Name          string `json:"name" vercel:"required"`
	Details       string `json:"details,omitempty"`
	Amount        Money  `json:"amount" vercel:"required"`
}

func (d *Discount) validate(v *validator, path string) {
	v.required(join(path, "billingPlanId"), d.BillingPlanID)
	v.required(join(path, "name"), d.Name)
	v.money(join(path, "amount"), d.Amount, true)
	v.span(path, d.Start, d.End)
}

// Usage types.
const (
	UsageTotal    = "total"
	UsageInterval = "interval"
	UsageRate     = "rate"
)

// Usage is one metered value. PeriodValue is the running total for the
// period, not an increment.
type Usage struct {
	ResourceID  string       `json:"resourceId,omitempty"`
	Name        string       `json:"name" vercel:"required"`
	Type        string       `json:"type" vercel:"required"` // total | interval | rate
	Units       string       `json:"units" vercel:"required"`
	DayValue    json.Number  `json:"dayValue" vercel:"required"`
	PeriodValue json.Number  `json:"periodValue" vercel:"required"`
	PlanValue   *json.Number `json:"planValue,omitempty"` // the plan's limit
}

func (u *Usage) validate(v *validator, path string) {
	v.required(join(path, "name"), u.Name)
	v.oneOf(join(path, "type"), u.Type, true, UsageTotal, UsageInterval, UsageRate)
	v.required(join(path, "units"), u.Units)
	v.exact(join(path, "dayValue"), u.DayValue)
	v.exact(join(path, "periodValue"), u.PeriodValue)
	if u.PlanValue != nil {
		v.exact(join(path, "planValue"), *u.PlanValue)
	}
}

// BillingForm is the wire form of a Billing value.
type BillingForm int

const (
	// BillingFormAuto marshals as an object when Discounts is non-nil, else
	// as an array.
	BillingFormAuto BillingForm = iota
	// BillingFormArray is the bare Item array.
	BillingFormArray
	// BillingFormObject is {"items": [...], "discounts"?: [...]}.
	BillingFormObject
)

// Billing is submitBillingData's "billing" key: either an Item array or an
// object {items, discounts?}; only the object form carries discounts. It
// marshals back to the form it was decoded from (or given in Form), so
// decoding and re-encoding a valid body gives the same bytes.
type Billing struct {
	Form      BillingForm
	Items     []Item
	Discounts []Discount // object form only; nil: key absent
}

// BillingItems is the array form.
func BillingItems(items ...Item) Billing {
	return Billing{Form: BillingFormArray, Items: items}
}

// BillingWithDiscounts is the object form.
func BillingWithDiscounts(items []Item, discounts []Discount) Billing {
	return Billing{Form: BillingFormObject, Items: items, Discounts: discounts}
}

// billingObject is the object form on the wire.
type billingObject struct {
	Items     []Item     `json:"items" vercel:"required"`
	Discounts []Discount `json:"discounts,omitzero"`
}

func (b Billing) form() BillingForm {
	if b.Form == BillingFormAuto {
		if b.Discounts != nil {
			return BillingFormObject
		}
		return BillingFormArray
	}
	return b.Form
}

// MarshalJSON writes the array or object form.
func (b Billing) MarshalJSON() ([]byte, error) {
	items := b.Items
	if items == nil {
		items = []Item{}
	}
	if b.form() == BillingFormArray {
		return json.Marshal(items)
	}
	return json.Marshal(billingObject{Items: items, Discounts: b.Discounts})
}

// UnmarshalJSON strictly decodes either form, refusing unknown keys.
func (b *Billing) UnmarshalJSON(data []byte) error {
	var items []Item
	var obj billingObject
	isObject, err := decodeUnion(data, &items, &obj, errBillingShape)
	switch {
	case err != nil:
		return err
	case isObject:
		*b = Billing{Form: BillingFormObject, Items: obj.Items, Discounts: obj.Discounts}
	default:
		*b = Billing{Form: BillingFormArray, Items: items}
	}
	return nil
}

var errBillingShape = errors.New("must be an array of items or an object {items, discounts}")

func (*Billing) checkStrict(s *strictState, path string, val any) {
	checkUnion(s, path, val, reflect.TypeFor[[]Item](), reflect.TypeFor[billingObject](), errBillingShape)
}

func (b *Billing) validate(v *validator, path string) {
	form := b.form()
	itemsPath := path
	if form == BillingFormObject {
		itemsPath = join(path, "items")
	}
	for i := range b.Items {
		b.Items[i].validate(v, index(itemsPath, i))
	}
	if form == BillingFormArray && len(b.Discounts) > 0 {
		v.add(join(path, "discounts"), "only allowed in the object form of billing")
	}
	for i := range b.Discounts {
		b.Discounts[i].validate(v, index(join(path, "discounts"), i))
	}
}

// BillingData is submitBillingData's body: interim usage and charges for
// display. It never charges the customer. Send at least daily.
type BillingData struct {
	Timestamp Time    `json:"timestamp" vercel:"required"`
	EOD       Time    `json:"eod" vercel:"required"` // end of the usage day, inside Period
	Period    Period  `json:"period" vercel:"required"`
	Billing   Billing `json:"billing" vercel:"required"`
	Usage     []Usage `json:"usage" vercel:"required"` // may be empty, never null
}

// MarshalJSON sends "usage": [] rather than null.
func (b BillingData) MarshalJSON() ([]byte, error) {
	type plain BillingData
	p := plain(b)
	if p.Usage == nil {
		p.Usage = []Usage{}
	}
	return json.Marshal(p)
}

// Validate checks b against Vercel's schema.
func (b *BillingData) Validate() error {
	if b == nil {
		return nilBody()
	}
	v := &validator{}
	v.time("timestamp", b.Timestamp)
	v.time("eod", b.EOD)
	v.period("period", b.Period)
	v.within("eod", b.EOD, b.Period)
	b.Billing.validate(v, "billing")
	for i := range b.Usage {
		b.Usage[i].validate(v, index("usage", i))
	}
	return v.err()
}

// SubmitBillingData sends interim billing and usage data (display only).
//
// POST /v1/installations/{installationId}/billing
func (c *Client) SubmitBillingData(ctx context.Context, token, installationID string, b *BillingData) error {
	if err := checkCall(token, []string{"installationId", installationID}, b); err != nil {
		return err
	}
	r, err := newRequest(http.MethodPost, pathf("/v1/installations/%s/billing", installationID), token, b, nil)
	if err != nil {
		return err
	}
	return c.do(ctx, r)
}

// Balance is one prepaid balance.
type Balance struct {
	ResourceID string `json:"resourceId,omitempty"`
	Credit     string `json:"credit,omitempty"`    // display text, e.g. "2,000 Tokens"
	NameLabel  string `json:"nameLabel,omitempty"` // e.g. "Tokens"
	// CurrencyValueInCents is a whole number of cents (a JSON number on
	// the wire): money is never a float here.
	CurrencyValueInCents int64 `json:"currencyValueInCents" vercel:"required"`
}

// PrepaymentBalances is submitPrepaymentBalances' body.
type PrepaymentBalances struct {
	Timestamp Time      `json:"timestamp" vercel:"required"`
	Balances  []Balance `json:"balances" vercel:"required"`
}

// Validate checks p against Vercel's schema.
func (p *PrepaymentBalances) Validate() error {
	if p == nil {
		return nilBody()
	}
	v := &validator{}
	v.time("timestamp", p.Timestamp)
	if p.Balances == nil {
		v.add("balances", "required")
	}
	return v.err()
}

// SubmitPrepaymentBalances reports prepaid balances (daily, ideally hourly).
//
// POST /v1/installations/{installationId}/billing/balance
func (c *Client) SubmitPrepaymentBalances(ctx context.Context, token, installationID string, p *PrepaymentBalances) error {
	if err := checkCall(token, []string{"installationId", installationID}, p); err != nil {
		return err
	}
	r, err := newRequest(http.MethodPost, pathf("/v1/installations/%s/billing/balance", installationID), token, p, nil)
	if err != nil {
		return err
	}
	return c.do(ctx, r)
}
