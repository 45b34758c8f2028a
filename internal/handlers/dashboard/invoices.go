package dashboard

import (
	"cmp"
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelcall"
)

const (
	invoiceTimeout   = 5 * time.Second
	maxRefundReason  = 500
	refundableStates = "draft pending scheduled invoiced paid notpaid overdue"
)

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
	if !validRef.MatchString(id) {
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
	return vercelcall.Read(ctx, b.Vercel.WithTimeout(invoiceTimeout), inv.InstallationID,
		func(ctx context.Context, v *vercelapi.Client, token string) (*vercelapi.Invoice, error) {
			return v.GetInvoice(ctx, token, inv.InstallationID, inv.ID)
		})
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
	v := invoiceView{Invoice: inv, State: inv.State, Total: inv.Total, Number: inv.Number,
		RefundTotal: inv.RefundTotal, RefundReason: inv.RefundReason}
	live, err := b.fetchInvoice(r.Context(), inv)
	if err != nil {
		b.Log.WarnContext(r.Context(), "browser: getInvoice failed; showing the stored state", "installation_id", inv.InstallationID, "err", err)
		v.Stale = true
	} else {
		v.State, v.Total, v.Items = cmp.Or(live.State, inv.State), cmp.Or(live.Total.String(), inv.Total), live.Items
		v.Number = cmp.Or(live.InvoiceNumber, inv.Number)
		v.RefundTotal, v.RefundReason = cmp.Or(live.RefundTotal.String(), inv.RefundTotal), cmp.Or(live.RefundReason, inv.RefundReason)
		b.keepLive(r.Context(), inv, v)
	}
	v.Refundable = !v.Stale && strings.Contains(" "+refundableStates+" ", " "+v.State+" ")
	b.render(w, r, http.StatusOK, "invoice", view{Title: "Invoice", Nav: "invoices", Notice: noticeFrom(r), Data: v})
}

// keepLive records what Vercel told of the invoice, so that the billing
// list, read from our records only, shows the same state and number.
func (b *Browser) keepLive(ctx context.Context, inv installations.Invoice, v invoiceView) {
	if v.State == inv.State && v.Number == inv.Number {
		return
	}
	inv.State, inv.Number = v.State, v.Number
	if err := b.Invoices.PutInvoice(ctx, inv); err != nil {
		b.Log.WarnContext(ctx, "browser: recording invoice state", "err", err)
	}
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
	total, reason, err := installations.Refund(r.PostFormValue("total"), r.PostFormValue("reason"), inv.Total)
	if err != nil {
		b.renderAppError(w, r, err)
		return
	}
	out, err := b.Actions.RefundInvoice(r.Context(), inv.InstallationID, inv.ID, reason, total)
	if err != nil {
		b.renderAppError(w, r, err)
		return
	}
	b.afterAction(w, r, PathInvoices+"/"+inv.ID, "refunded", out, "invoice_id", inv.ID)
}
