package dashboard

import (
	"cmp"
	"context"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/billing"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelcall"
)

const invoiceTimeout = 5 * time.Second

type invoicesView struct {
	Open     *openPeriod // nil without a usage ledger
	Invoices []installations.Invoice
}

// openPeriod is the open billing period as the next interim data carries it.
type openPeriod struct {
	Start, End time.Time
	Lines      []usageLine
	Total      string
	// Invoiced is set once the period has its invoice already (a billing
	// run with its clock set past the period's end: the demo's jump).
	Invoiced *invoicedPeriod
}

type usageLine struct {
	Resource string // the resource's name; "" for the installation
	Name     string // the meter, or the plan for its flat fee
	Usage    string // the period's aggregate with units; "" for a flat fee
	Quantity string
	Units    string
	Price    string
	Total    string
}

type invoiceView struct {
	Invoice      installations.Invoice
	Number       string
	State        string
	Total        string
	RefundTotal  string
	RefundReason string
	Items        []invoiceItem
	Stale        bool // Vercel unreachable: State is our last known one
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
	open, err := b.openPeriod(r.Context(), s.InstallationID)
	if err == nil && open != nil {
		open.Invoiced, err = b.invoicedAs(r.Context(), s.InstallationID, open.Start, list)
	}
	if err != nil {
		b.renderAppError(w, r, err)
		return
	}
	b.render(w, r, http.StatusOK, "invoices", view{Title: "Billing", Nav: "invoices", Notice: noticeFrom(r),
		Data: invoicesView{Open: open, Invoices: list}})
}

// openPeriod prices the installation's open period for the billing page.
func (b *Browser) openPeriod(ctx context.Context, installationID string) (*openPeriod, error) {
	if b.Usage == nil {
		return nil, nil
	}
	in, err := b.Installations.Get(ctx, installationID)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	if b.Now != nil {
		now = b.Now()
	}
	st, err := installations.OpenPeriod(ctx, b.Catalog, b.Resources, b.Usage, in, now)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	if resources, err := b.Resources.ListResources(ctx, installationID); err == nil {
		for _, res := range resources {
			names[res.ID] = res.Name
		}
	}
	for _, sub := range st.Subjects { // resources deleted in the period are still billed
		if _, ok := names[sub.ResourceID]; !ok && sub.ResourceID != "" {
			names[sub.ResourceID] = sub.Name
		}
	}
	open := &openPeriod{Start: st.PeriodStart, End: st.PeriodEnd, Total: st.Total.StringFixed(2)}
	for _, l := range st.Lines {
		name := l.Name
		if l.Flat {
			name = billing.PlanLabel(name)
		}
		u := usageLine{Resource: names[l.ResourceID], Name: name, Quantity: l.Quantity.String(), Units: l.Units,
			Price: l.Price.StringFixed(max(2, l.Price.Scale())), Total: l.Total.StringFixed(2)}
		if !l.Flat {
			u.Usage = l.PeriodValue.String() + " " + l.Units
		}
		open.Lines = append(open.Lines, u)
	}
	return open, nil
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
	out, err := b.Vercel.WithTimeout(invoiceTimeout).For(inv.InstallationID).GetInvoice(ctx, inv.ID)
	return out, vercelcall.Error(err)
}

// handleInvoice shows one invoice with its state read from Vercel and
// any refund. Refunds are the partner's decision: they go through the
// internal API, never a customer's form.
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
		v.State, v.Total, v.Items = cmp.Or(live.State, inv.State), cmp.Or(live.Total.String(), inv.Total), b.itemsOf(r.Context(), inv.InstallationID, live.Items)
		v.Number = cmp.Or(live.InvoiceNumber, inv.Number)
		v.RefundTotal, v.RefundReason = cmp.Or(live.RefundTotal.String(), inv.RefundTotal), cmp.Or(live.RefundReason, inv.RefundReason)
		b.keepLive(r.Context(), inv, v)
	}
	b.render(w, r, http.StatusOK, "invoice", view{Title: "Invoice", Nav: "invoices", Data: v})
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
