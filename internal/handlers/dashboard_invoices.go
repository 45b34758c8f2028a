package handlers

import (
	"context"
	"math/big"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/sso"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

const (
	invoiceTimeout   = 5 * time.Second
	maxRefundReason  = 500
	refundableStates = "draft pending scheduled invoiced paid notpaid overdue"
)

// money is a decimal amount as the refund form takes it.
var money = regexp.MustCompile(`^[0-9]{1,12}(\.[0-9]{1,2})?$`)

type invoicesView struct{ Invoices []installations.Invoice }

type invoiceView struct {
	Invoice      installations.Invoice
	Number       string
	State        string
	Total        string
	RefundTotal  string
	RefundReason string
	Items        []vercelapi.Item
	Stale        bool // Vercel unreachable: State is our last known one
	Refundable   bool
}

// handleInvoices lists the invoices we submitted for the installation.
//
// GET /dashboard/invoices
func (b *Browser) handleInvoices(w http.ResponseWriter, r *http.Request) {
	s, _ := sessionFrom(r.Context())
	list, err := b.Invoices.ListInvoices(r.Context(), s.InstallationID)
	if err != nil {
		b.renderAppError(w, r, err)
		return
	}
	b.render(w, r, http.StatusOK, "invoices", view{Title: "Billing", Nav: "invoices", Notice: noticeFrom(r), Data: invoicesView{list}})
}

// invoice loads {invoiceId} of the session's installation from our record.
func (b *Browser) invoice(r *http.Request) (installations.Invoice, error) {
	s, _ := sessionFrom(r.Context())
	id := chi.URLParam(r, "invoiceId")
	if !sso.ValidRef(id) {
		return installations.Invoice{}, apperr.NotFoundf("There is no such invoice.")
	}
	inv, err := b.Invoices.GetInvoice(r.Context(), s.InstallationID, id)
	if apperr.KindOf(err) == apperr.NotFound {
		return installations.Invoice{}, apperr.NotFoundf("There is no such invoice in this installation.")
	}
	return inv, err
}

// fetchInvoice reads the invoice's current state from Vercel.
func (b *Browser) fetchInvoice(ctx context.Context, inv installations.Invoice) (*vercelapi.Invoice, error) {
	token, err := b.Installations.Token(ctx, inv.InstallationID)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, invoiceTimeout)
	defer cancel()
	return b.Vercel.GetInvoice(ctx, token, inv.InstallationID, inv.ID)
}

// handleInvoice shows one invoice with its state read from Vercel, and a
// refund form for admins.
//
// GET /dashboard/invoices/{invoiceId}
func (b *Browser) handleInvoice(w http.ResponseWriter, r *http.Request) {
	inv, err := b.invoice(r)
	if err != nil {
		b.renderAppError(w, r, err)
		return
	}
	v := invoiceView{Invoice: inv, State: inv.State, Total: inv.Total}
	live, err := b.fetchInvoice(r.Context(), inv)
	if err != nil {
		b.Log.WarnContext(r.Context(), "browser: getInvoice failed; showing the stored state", "installation_id", inv.InstallationID, "err", err)
		v.Stale = true
	} else {
		v.State, v.Total, v.Number, v.Items = live.State, live.Total.String(), live.InvoiceNumber, live.Items
		v.RefundTotal, v.RefundReason = live.RefundTotal.String(), live.RefundReason
		if live.State != inv.State && live.State != "" {
			inv.State = live.State
			if err := b.Invoices.PutInvoice(r.Context(), inv); err != nil {
				b.Log.WarnContext(r.Context(), "browser: recording invoice state", "err", err)
			}
		}
	}
	v.Refundable = !v.Stale && strings.Contains(" "+refundableStates+" ", " "+v.State+" ")
	b.render(w, r, http.StatusOK, "invoice", view{Title: "Invoice", Nav: "invoices", Notice: noticeFrom(r), Data: v})
}

// handleRefund asks Vercel to refund (part of) an invoice.
//
// POST /dashboard/invoices/{invoiceId}/refund (form: total, reason)
func (b *Browser) handleRefund(w http.ResponseWriter, r *http.Request) {
	inv, err := b.invoice(r)
	if err != nil {
		b.renderAppError(w, r, err)
		return
	}
	total, reason, err := refundForm(r.PostFormValue("total"), r.PostFormValue("reason"), inv.Total)
	if err != nil {
		b.renderAppError(w, r, err)
		return
	}
	out, err := b.Actions.RefundInvoice(r.Context(), inv.InstallationID, inv.ID, reason, total)
	if err != nil {
		b.renderAppError(w, r, err)
		return
	}
	afterAction(w, r, sso.PathInvoices+"/"+inv.ID, "refunded", out)
}

// refundForm validates the amount (decimal, > 0, at most the invoice
// total) and the reason (1..500 characters, no control characters).
func refundForm(total, reason, invoiceTotal string) (string, string, error) {
	total, reason = strings.TrimSpace(total), strings.TrimSpace(reason)
	var fields []apperr.Field
	amt, ok := new(big.Rat).SetString(total)
	limit, limitOK := new(big.Rat).SetString(invoiceTotal)
	switch {
	case !money.MatchString(total) || !ok:
		fields = append(fields, apperr.Field{Key: "total", Message: "must be an amount like 12.50"})
	case amt.Sign() <= 0:
		fields = append(fields, apperr.Field{Key: "total", Message: "must be more than zero"})
	case limitOK && amt.Cmp(limit) > 0:
		fields = append(fields, apperr.Field{Key: "total", Message: "must not exceed the invoice total"})
	}
	if reason == "" || !utf8.ValidString(reason) || utf8.RuneCountInString(reason) > maxRefundReason ||
		strings.ContainsFunc(reason, unicode.IsControl) {
		fields = append(fields, apperr.Field{Key: "reason", Message: "must be 1 to 500 characters of text"})
	}
	if len(fields) > 0 {
		msg := "The refund is not valid: the amount or the reason"
		if len(fields) == 1 {
			msg = "The refund is not valid: " + fields[0].Key + " " + fields[0].Message + "."
		}
		return "", "", apperr.InvalidFields(msg, fields...)
	}
	return total, reason, nil
}
