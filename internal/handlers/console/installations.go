package console

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/autopilot"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// validRef bounds the ids a console path may name.
var validRef = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,128}$`)

// maxListed bounds the installations one search shows.
const maxListed = 50

type installationRow struct {
	installations.Installation
	Resources int
}

type installationsView struct {
	Query string
	Rows  []installationRow
	More  bool
}

// handleInstallations finds installations by id, account name or e-mail
// (the account's contact, or a member seen at sign-in). Any query is
// accepted: it is bounded, made storable and matched as plain text.
//
// GET /console?q=
func (c *Console) handleInstallations(w http.ResponseWriter, r *http.Request) {
	q := installations.SearchText(r.URL.Query().Get("q"))
	list, err := c.Directory.SearchInstallations(r.Context(), q, maxListed+1)
	if err != nil {
		c.renderAppError(w, r, err)
		return
	}
	v := installationsView{Query: q, More: len(list) > maxListed}
	for _, in := range list[:min(len(list), maxListed)] {
		res, err := c.Resources.List(r.Context(), in.ID)
		if err != nil {
			c.renderAppError(w, r, err)
			return
		}
		v.Rows = append(v.Rows, installationRow{Installation: in, Resources: len(res)})
	}
	c.render(w, r, http.StatusOK, "installations", view{Title: "Installations", Nav: "installations", Data: v})
}

// notificationView is a stored notification, read for display.
type notificationView struct {
	Level, Title, Message, Href string
}

// notificationOf reads a stored notification; nil when none or unreadable.
func notificationOf(raw json.RawMessage) *notificationView {
	var n notificationView
	if len(raw) == 0 || string(raw) == "null" || json.Unmarshal(raw, &n) != nil || n.Title == "" {
		return nil
	}
	return &n
}

type installationView struct {
	Installation installations.Installation
	Notification *notificationView
	Members      []installations.Member
	Resources    []installations.Resource
	Invoices     []installations.Invoice
	Periods      []autopilot.InvoicePeriod
	Open         *openPeriod
	OpenError    string
	Deliveries   []deliveries.Delivery
}

// handleInstallation shows one installation with everything staff act
// on: its account and members, resources, invoices (with the refund
// form), the autopilot's invoices per period, the open period's usage
// and its latest deliveries.
//
// GET /console/installations/{installationId}
func (c *Console) handleInstallation(w http.ResponseWriter, r *http.Request) {
	in, err := c.installation(r)
	if err != nil {
		c.renderAppError(w, r, err)
		return
	}
	v, err := c.installationView(r.Context(), in)
	if err != nil {
		c.renderAppError(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "installation", view{Title: titleOf(in), Nav: "installations", Notice: noticeFrom(r), Data: v})
}

func titleOf(in installations.Installation) string {
	if in.Account.Name != "" {
		return in.Account.Name
	}
	return in.ID
}

// installation loads the path's installation; a malformed id is 404.
func (c *Console) installation(r *http.Request) (installations.Installation, error) {
	id := chi.URLParam(r, "installationId")
	if !validRef.MatchString(id) {
		return installations.Installation{}, apperr.NotFoundf("There is no such installation.")
	}
	in, err := c.Installations.Get(r.Context(), id)
	if apperr.KindOf(err) == apperr.NotFound {
		return in, apperr.NotFoundf("There is no installation %s.", id)
	}
	return in, err
}

func (c *Console) installationView(ctx context.Context, in installations.Installation) (installationView, error) {
	v := installationView{Installation: in, Notification: notificationOf(in.Notification)}
	var err error
	if v.Members, err = c.Directory.Members(ctx, in.ID); err != nil {
		return v, err
	}
	res, err := c.Resources.List(ctx, in.ID)
	if err != nil {
		return v, err
	}
	v.Resources = res
	if v.Invoices, err = c.Invoices.ListInvoices(ctx, in.ID); err != nil {
		return v, err
	}
	if v.Periods, err = c.Billing.InvoicePeriods(ctx, in.ID); err != nil {
		return v, err
	}
	if v.Deliveries, err = c.Deliveries.List(ctx, installations.DeliveryFilter{InstallationID: in.ID, Limit: 20}); err != nil {
		return v, err
	}
	st, err := c.Lifecycle.OpenPeriod(ctx, in.ID)
	if err != nil {
		// A finalized installation has no open period: say why, show the rest.
		v.OpenError = "No open period: " + strings.TrimSuffix(messageOf(err), ".") + "."
		return v, nil
	}
	v.Open = openPeriodOf(st, res)
	return v, nil
}

var errNoResource = apperr.NotFoundf("There is no such resource.")

// messageOf is an error's safe message.
func messageOf(err error) string {
	if e, ok := errors.AsType[*apperr.Error](err); ok && e.Kind != apperr.Internal {
		return e.Message
	}
	return "it could not be read"
}
