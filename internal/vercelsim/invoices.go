package vercelsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// InvoiceStates are the states getInvoice may report.
var InvoiceStates = []string{"draft", "pending", "scheduled", "invoiced", "paid", "notpaid", "overdue", "refund_requested", "refunded"}

// Invoice is an invoice as getInvoice returns it.
type Invoice struct {
	InvoiceID     string          `json:"invoiceId"`
	ExternalID    string          `json:"externalId,omitempty"`
	InvoiceNumber string          `json:"invoiceNumber,omitempty"`
	InvoiceDate   string          `json:"invoiceDate"`
	Period        Period          `json:"period"`
	State         string          `json:"state"`
	Total         string          `json:"total"`
	Items         json.RawMessage `json:"items"`
	Discounts     json.RawMessage `json:"discounts,omitempty"`
	Memo          string          `json:"memo,omitempty"`
	Test          bool            `json:"test,omitempty"`
	PaidAt        string          `json:"paidAt,omitempty"`
	RefundedAt    string          `json:"refundedAt,omitempty"`
	RefundReason  string          `json:"refundReason,omitempty"`
	RefundTotal   string          `json:"refundTotal,omitempty"`
	Created       string          `json:"created"`
	Updated       string          `json:"updated"`
	Final         bool            `json:"-"` // submitted with final: true
	Submitted     json.RawMessage `json:"-"` // the submitInvoice body; nil when seeded
}

// Period is a billing period.
type Period struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// Invoice returns the invoice with Vercel's id invoiceID.
func (s *Sim) Invoice(installationID, invoiceID string) (Invoice, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inv, ok := s.inst(installationID).invoices[invoiceID]
	if !ok {
		return Invoice{}, false
	}
	return *inv, true
}

// Invoices returns the installation's invoices in submission order.
func (s *Sim) Invoices(installationID string) []Invoice {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Invoice
	for _, inv := range s.inst(installationID).invoices {
		out = append(out, *inv)
	}
	slices.SortFunc(out, func(a, b Invoice) int { return strings.Compare(a.InvoiceNumber, b.InvoiceNumber) })
	return out
}

// SeedInvoice stores an invoice as if Vercel had created it, for
// getInvoice (e.g. a paid credit purchase for billing/provision), and
// returns its id. Blank fields get defaults: a fresh InvoiceID, state
// pending, total "0.00", items [], the current UTC month as the period and
// now as the dates. It panics on an unknown state or a bad total.
func (s *Sim) SeedInvoice(installationID string, inv Invoice) string {
	inv.State = cmpOr(inv.State, "pending")
	inv.Total = cmpOr(inv.Total, "0.00")
	if !slices.Contains(InvoiceStates, inv.State) {
		panic(fmt.Sprintf("vercelsim: SeedInvoice: unknown state %q", inv.State))
	}
	if !moneyRE.MatchString(inv.Total) {
		panic(fmt.Sprintf("vercelsim: SeedInvoice: total %q is not a decimal string", inv.Total))
	}
	now := s.now()
	start := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	inv.InvoiceID = cmpOr(inv.InvoiceID, newID("inv_"))
	inv.InvoiceDate = cmpOr(inv.InvoiceDate, stamp(now))
	inv.Period.Start = cmpOr(inv.Period.Start, stamp(start))
	inv.Period.End = cmpOr(inv.Period.End, stamp(start.AddDate(0, 1, 0)))
	inv.Created = cmpOr(inv.Created, stamp(now))
	inv.Updated = cmpOr(inv.Updated, stamp(now))
	if len(inv.Items) == 0 {
		inv.Items = json.RawMessage(`[]`)
	}
	if inv.State == "paid" {
		inv.PaidAt = cmpOr(inv.PaidAt, stamp(now))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if inv.InvoiceNumber == "" {
		inv.InvoiceNumber = fmt.Sprintf("SIM-%06d", s.nextInvoiceNumber())
	}
	s.inst(installationID).invoices[inv.InvoiceID] = &inv
	return inv.InvoiceID
}

// InvoicesForPeriod returns the installation's invoices whose period is p
// (compared as instants, so formats may differ), in submission order.
func (s *Sim) InvoicesForPeriod(installationID string, p Period) []Invoice {
	start, err1 := parseDateTime(p.Start)
	end, err2 := parseDateTime(p.End)
	if err1 != nil || err2 != nil {
		return nil
	}
	var out []Invoice
	for _, inv := range s.Invoices(installationID) {
		a, _ := parseDateTime(inv.Period.Start)
		b, _ := parseDateTime(inv.Period.End)
		if a.Equal(start) && b.Equal(end) {
			out = append(out, inv)
		}
	}
	return out
}

// SetInvoiceState moves an invoice to state (one of InvoiceStates), setting
// paidAt or refundedAt as fits, as Vercel's billing would.
func (s *Sim) SetInvoiceState(installationID, invoiceID, state string) error {
	if !slices.Contains(InvoiceStates, state) {
		return fmt.Errorf("vercelsim: unknown invoice state %q", state)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	inv, ok := s.inst(installationID).invoices[invoiceID]
	if !ok {
		return fmt.Errorf("vercelsim: invoice %s/%s not found", installationID, invoiceID)
	}
	now := stamp(s.now())
	inv.State, inv.Updated = state, now
	switch state {
	case "paid":
		inv.PaidAt = now
	case "refunded":
		inv.RefundedAt = now
	}
	return nil
}

// CompleteRefund finishes a requested refund: refund_requested -> refunded.
// Refunds never complete on their own, so tests can observe
// refund_requested.
func (s *Sim) CompleteRefund(installationID, invoiceID string) error {
	s.mu.Lock()
	inv, ok := s.inst(installationID).invoices[invoiceID]
	state := ""
	if ok {
		state = inv.State
	}
	s.mu.Unlock()
	if state != "refund_requested" {
		return fmt.Errorf("vercelsim: invoice %s/%s is %q, not refund_requested", installationID, invoiceID, state)
	}
	return s.SetInvoiceState(installationID, invoiceID, "refunded")
}

func (s *Sim) handleSubmitInvoice(w http.ResponseWriter, r *http.Request, in *installation) {
	body, raw, ok := readBody(w, r, submitInvoiceBody)
	if !ok {
		return
	}
	start, end, err := checkPeriod(body["period"])
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	date, _ := parseDateTime(body["invoiceDate"].(string))
	if date.Before(start) || date.After(end) {
		badRequest(w, "invoiceDate: must lie within period")
		return
	}
	if len(body["items"].([]any)) == 0 {
		badRequest(w, "items: must not be empty")
		return
	}
	total, problems := invoiceTotal(body)
	if total.Sign() < 0 {
		badRequest(w, "discounts: exceed the items' total")
		return
	}
	test, isTest := body["test"].(map[string]any)
	state := "pending"
	if result, ok := test["result"].(string); ok {
		state = result
	}
	validationErrors := []string{}
	if validate, _ := test["validate"].(bool); validate {
		validationErrors = append(validationErrors, problems...)
	}
	period := body["period"].(map[string]any)
	items, _ := json.Marshal(body["items"])
	inv := &Invoice{
		InvoiceDate: body["invoiceDate"].(string),
		Period:      Period{Start: period["start"].(string), End: period["end"].(string)},
		State:       state,
		Total:       total.FloatString(2),
		Items:       items,
		Test:        isTest,
		Submitted:   raw,
	}
	inv.ExternalID, _ = body["externalId"].(string)
	inv.Memo, _ = body["memo"].(string)
	inv.Final, _ = body["final"].(bool)
	if d, ok := body["discounts"]; ok {
		inv.Discounts, _ = json.Marshal(d)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if inv.Final && !in.PendingDeletion {
		badRequest(w, "final: only allowed while the installation is pending deletion")
		return
	}
	if inv.ExternalID != "" {
		for _, other := range in.invoices {
			if other.ExternalID == inv.ExternalID {
				writeError(w, http.StatusConflict, "conflict", "externalId "+inv.ExternalID+" already used by invoice "+other.InvoiceID)
				return
			}
		}
	}
	now := stamp(s.now())
	inv.InvoiceID = newID("inv_")
	inv.InvoiceNumber = fmt.Sprintf("SIM-%06d", s.nextInvoiceNumber())
	inv.Created, inv.Updated = now, now
	if state == "paid" {
		inv.PaidAt = now
	}
	in.invoices[inv.InvoiceID] = inv
	writeJSON(w, http.StatusOK, map[string]any{"invoiceId": inv.InvoiceID, "test": isTest, "validationErrors": validationErrors})
}

// nextInvoiceNumber numbers invoices across the Sim; callers hold s.mu.
func (s *Sim) nextInvoiceNumber() int {
	n := 1
	for _, in := range s.insts {
		n += len(in.invoices)
	}
	return n
}

func (s *Sim) handleGetInvoice(w http.ResponseWriter, r *http.Request, in *installation) {
	s.mu.Lock()
	inv, ok := in.invoices[r.PathValue("invoiceId")]
	var snapshot Invoice
	if ok {
		snapshot = *inv
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", "invoice "+r.PathValue("invoiceId")+" not found")
		return
	}
	writeJSON(w, http.StatusOK, snapshot)
}

func (s *Sim) handleUpdateInvoice(w http.ResponseWriter, r *http.Request, in *installation) {
	body, _, ok := readBody(w, r, updateInvoiceBody)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	inv, ok := in.invoices[r.PathValue("invoiceId")]
	switch {
	case !ok:
		writeError(w, http.StatusNotFound, "not_found", "invoice "+r.PathValue("invoiceId")+" not found")
	case inv.State == "refund_requested" || inv.State == "refunded":
		writeError(w, http.StatusConflict, "conflict", "invoice "+inv.InvoiceID+" is already "+inv.State)
	case decimal(body["total"]).Cmp(decimal(inv.Total)) > 0:
		badRequest(w, fmt.Sprintf("total: %s exceeds the invoice total %s", body["total"], inv.Total))
	default:
		inv.State = "refund_requested"
		inv.RefundReason = body["reason"].(string)
		inv.RefundTotal = body["total"].(string)
		inv.Updated = stamp(s.now())
		writeEmpty(w, http.StatusNoContent)
	}
}
