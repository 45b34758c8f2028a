package app

import (
	"net/http"
	"strings"

	"github.com/vercel-partner/partner-server/internal/config"
	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/handlers/console"
	"github.com/vercel-partner/partner-server/internal/lifecycle"
	"github.com/vercel-partner/partner-server/internal/resources"
	"github.com/vercel-partner/partner-server/internal/staff"
)

// console builds the staff console, or nil when console.* is not set
// (then /console is not mounted and answers 404).
func (a *App) console(cfg *config.Config, res *resources.Service, life *lifecycle.Service, product string) (http.Handler, error) {
	c := cfg.Console
	if !c.Enabled() {
		return nil, nil
	}
	store := db.NewStaff(a.DB)
	a.staffLife = &staff.Sessions{Store: store, IdleTimeout: cfg.Sessions.IdleTimeout, MaxAge: cfg.Sessions.MaxAge}
	flow := staff.NewFlow(staff.Config{Issuer: c.OIDC.Issuer, ClientID: c.OIDC.ClientID, ClientSecret: c.OIDC.ClientSecret,
		RedirectURL: strings.TrimRight(cfg.PublicURL, "/") + "/console/callback"},
		staff.NewAccess(c.Operators, c.Viewers), store, a.Log)
	return console.New(console.Deps{
		Log: a.Log, PublicURL: cfg.PublicURL, ProductName: product, SignIn: flow, Sessions: a.staffLife,
		Installations: a.Installations, Directory: a.Directory, Invoices: a.Invoices, Webhooks: a.Webhooks, Audit: a.Audit,
		Resources: res, Lifecycle: life, Deliveries: a.Deliveries, Billing: a.Autopilot, Pushes: a.Pushes,
		Notifications: a.Notifications, Suspensions: res, Credentials: a.Credentials,
	})
}
