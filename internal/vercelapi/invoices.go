package vercelapi

import (
	"context"
	"net/http"
)

// Test invoice results.
const (
	TestResultPaid    = "paid"
	TestResultNotPaid = "notpaid"
	TestResultOverdue = "overdue"
)

// InvoiceTest puts an invoice in test mode: no real transaction, hidden in
// the dashboard.
type InvoiceTest struct {
	Validate bool   `json:"validate,omitempty"`
	Result   string `json:"result,omitempty"` // paid | notpaid | overdue
}

// MaxExternalID bounds an invoice's externalId; Vercel gives no limit.
const MaxExternalID = 255

// InvoiceRequest is submitInvoice's body. It charges the customer.
type InvoiceRequest struct {
	ExternalID  string       `json:"externalId,omitempty"` // our invoice ID, unique per installation
	InvoiceDate Time         `json:"invoiceDate" vercel:"required"`
	Memo        string       `json:"memo,omitempty"`
	Period      Period       `json:"period" vercel:"required"`
	Items       []Item       `json:"items" vercel:"required"`
	Discounts   []Discount   `json:"discounts,omitempty"`
	Final       bool         `json:"final,omitempty"` // only while the installation is pending deletion
	Test        *InvoiceTest `json:"test,omitempty"`
}

// Validate checks r against Vercel's schema: period start before end,
// invoiceDate within the period, at least one item.
func (r *InvoiceRequest) Validate() error {
	if r == nil {
		return nilBody()
	}
	v := &validator{}
	if len(r.ExternalID) > MaxExternalID {
		v.add("externalId", "must be at most 255 bytes") // kept in our invoice records
	}
	v.time("invoiceDate", r.InvoiceDate)
	v.period("period", r.Period)
	v.within("invoiceDate", r.InvoiceDate, r.Period)
	if len(r.Items) == 0 {
		v.add("items", "required")
	}
	for i := range r.Items {
		r.Items[i].validate(v, index("items", i))
	}
	for i := range r.Discounts {
		r.Discounts[i].validate(v, index("discounts", i))
	}
	if r.Test != nil {
		v.oneOf("test.result", r.Test.Result, false, TestResultPaid, TestResultNotPaid, TestResultOverdue)
	}
	return v.err()
}

// SubmitInvoiceResult is submitInvoice's answer; every key is optional.
type SubmitInvoiceResult struct {
	InvoiceID        string   `json:"invoiceId,omitempty"` // Vercel's ID; persist it, refunds need it
	Test             bool     `json:"test,omitempty"`
	ValidationErrors []string `json:"validationErrors,omitempty"`
}

// SubmitInvoice submits an invoice, which charges the customer (unless it is
// a test invoice).
//
// POST /v1/installations/{installationId}/billing/invoices
func (c *Client) SubmitInvoice(ctx context.Context, token, installationID string, inv *InvoiceRequest) (*SubmitInvoiceResult, error) {
	return callJSON[SubmitInvoiceResult](ctx, c, http.MethodPost, token, pathf("/v1/installations/%s/billing/invoices", installationID), []string{"installationId", installationID}, inv)
}

// Invoice states.
const (
	InvoiceDraft           = "draft"
	InvoicePending         = "pending"
	InvoiceScheduled       = "scheduled"
	InvoiceInvoiced        = "invoiced"
	InvoicePaid            = "paid"
	InvoiceNotPaid         = "notpaid"
	InvoiceOverdue         = "overdue"
	InvoiceRefundRequested = "refund_requested"
	InvoiceRefunded        = "refunded"
)

// Invoice is Vercel's view of an invoice. Optional timestamps are zero when
// absent; State may hold values newer than the constants above.
type Invoice struct {
	InvoiceID     string     `json:"invoiceId"`
	ExternalID    string     `json:"externalId,omitempty"`
	InvoiceNumber string     `json:"invoiceNumber,omitempty"`
	InvoiceDate   Time       `json:"invoiceDate"`
	Period        Period     `json:"period"`
	State         string     `json:"state"`
	Total         Money      `json:"total"`
	Items         []Item     `json:"items"`
	Discounts     []Discount `json:"discounts,omitempty"`
	Memo          string     `json:"memo,omitempty"`
	Test          bool       `json:"test,omitempty"`
	PaidAt        Time       `json:"paidAt,omitzero"`
	RefundedAt    Time       `json:"refundedAt,omitzero"`
	RefundReason  string     `json:"refundReason,omitempty"`
	RefundTotal   Money      `json:"refundTotal,omitempty"`
	Created       Time       `json:"created"`
	Updated       Time       `json:"updated"`
}

// GetInvoice reads an invoice by Vercel's invoice ID. It stops working once
// the installation is finalized.
//
// GET /v1/installations/{installationId}/billing/invoices/{invoiceId}
func (c *Client) GetInvoice(ctx context.Context, token, installationID, invoiceID string) (*Invoice, error) {
	return callJSON[Invoice](ctx, c, http.MethodGet, token, pathf("/v1/installations/%s/billing/invoices/%s", installationID, invoiceID), []string{"installationId", installationID, "invoiceId", invoiceID}, nil)
}

// ActionRefund is the only invoice action.
const ActionRefund = "refund"

// InvoiceAction is updateInvoice's body; all keys are required.
type InvoiceAction struct {
	Action string `json:"action" vercel:"required"` // refund
	Reason string `json:"reason" vercel:"required"`
	Total  Money  `json:"total" vercel:"required"` // at most the invoice total
}

// Validate checks a against Vercel's schema.
func (a *InvoiceAction) Validate() error {
	if a == nil {
		return nilBody()
	}
	v := &validator{}
	v.oneOf("action", a.Action, true, ActionRefund)
	v.required("reason", a.Reason)
	v.money("total", a.Total, true)
	return v.err()
}

// UpdateInvoice applies an action (refund) to an invoice: an uncharged
// invoice is cancelled, a charged one refunded.
//
// POST /v1/installations/{installationId}/billing/invoices/{invoiceId}/actions
func (c *Client) UpdateInvoice(ctx context.Context, token, installationID, invoiceID string, a *InvoiceAction) error {
	if err := checkCall(token, []string{"installationId", installationID, "invoiceId", invoiceID}, a); err != nil {
		return err
	}
	r, err := newRequest(http.MethodPost, pathf("/v1/installations/%s/billing/invoices/%s/actions", installationID, invoiceID), token, a, nil)
	if err != nil {
		return err
	}
	return c.do(ctx, r)
}

// RefundInvoice refunds total (at most the invoice total) of an invoice.
//
// POST /v1/installations/{installationId}/billing/invoices/{invoiceId}/actions
func (c *Client) RefundInvoice(ctx context.Context, token, installationID, invoiceID, reason string, total Money) error {
	return c.UpdateInvoice(ctx, token, installationID, invoiceID, &InvoiceAction{Action: ActionRefund, Reason: reason, Total: total})
}
