package vercelsim

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The simulated dashboard's page ("/"): one view type per section, each
// rendered by the template of the same name in console/.

type homeView struct {
	Header        headerView
	Flash         *flash
	Mode          string
	Modes         []string
	Installations []instView
}

// headerView is the bar at the top of every console page.
type headerView struct {
	Links []ConsoleLink
	Mode  string
}

type instView struct {
	ID, Account, Status string
	Live                bool
	// VercelStatus is the status the partner last sent with
	// updateInstallation ("" none).
	VercelStatus string
	Token        tokenView
	PlanName     string // the installation-level plan, when it has one
	Notification *notificationView
	Resources    []resourceView
	Members      []memberView
	Invoices     []invoiceView
	Plans        []planOption
	PlansError   string
	Actions      []actionView
	Notes        []ConsoleNote
	Open         string // Open in Provider as the default admin
	ImportLink   string // the partner's Import Resource URL, when it has one
	UninstallURL string
	InstallURL   string // "Install again", once uninstalled
	StartOver    string
	CreateURL    string
	MemberURL    string
	InvoiceURL   string
	Projects     []projectView
	Deployments  []deploymentView
	DeployURL    string
}

// tokenView is what the page shows of the installation's access
// tokens: how many were replaced and revoked, never a token.
type tokenView struct {
	Rotations, Live, Revoked, RevokedUses int
}

type resourceView struct {
	Resource
	PlanName               string
	Notification           *notificationView
	Plans                  []planOption
	OpenAdmin              string
	OpenMember, AsWhom     string
	PlanURL, RotateURL     string
	DeleteURL, ProjectsURL string
	TransferURL            string
	Targets                []transferTarget
	REPLURL, MemberID      string
	REPL                   *replExchange
}

type memberView struct {
	Member
	Name, Link string
}

type invoiceView struct {
	Invoice
	PeriodText string
}

type planOption struct {
	ProductID, ID, Name, Cost string
}

type actionView struct {
	ConsoleAction
	URL string
}

// handleHome is the simulated Vercel dashboard.
func (s *Sim) handleHome(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	mode := s.modeName()
	v := homeView{Header: headerView{Links: s.consoleConfig().Links, Mode: mode}, Mode: mode, Modes: []string{"up", "down", "rate-limited"}}
	if f, ok := s.flashFor(r.URL.Query().Get("flash")); ok {
		v.Flash = &f
	}
	for _, id := range s.InstallationIDs() {
		v.Installations = append(v.Installations, s.instView(ctx, id))
	}
	s.render(w, "home", v)
}

func (s *Sim) modeName() string {
	switch s.Mode() {
	case ModeDown:
		return "down"
	case ModeRateLimited:
		return "rate-limited"
	}
	return "up"
}

func (s *Sim) instView(ctx context.Context, id string) instView {
	st, _ := s.Installation(id)
	cfg := s.consoleConfig()
	v := instView{ID: id, Account: st.Account.Name, Status: "installed", Live: st.AccessToken != "" && !st.PendingDeletion,
		PlanName: planNameOf(st.BillingPlan), Notification: notificationOf(st.Notification),
		Open: s.OpenInProviderURL(id, DefaultAdminUserID, nil), UninstallURL: consoleURL(id, "uninstall"),
		InstallURL: consoleURL(id, "install"), StartOver: cfg.StartOver,
		CreateURL: consoleURL(id, "resources"), MemberURL: consoleURL(id, "webhooks", "member"), InvoiceURL: consoleURL(id, "webhooks", "invoice")}
	v.VercelStatus = st.Status
	v.Token = tokenView{Rotations: len(st.OldTokens) + len(st.RevokedTokens), Live: len(st.OldTokens) + 1,
		Revoked: len(st.RevokedTokens), RevokedUses: st.RevokedUses}
	switch {
	case st.Finalized:
		v.Status = "uninstalled (finalized)"
	case st.PendingDeletion:
		v.Status = "uninstalling (pending final invoices)"
	}
	for _, inv := range s.Invoices(id) {
		v.Invoices = append(v.Invoices, invoiceView{Invoice: inv, PeriodText: formatPeriod(inv.Period)})
	}
	v.Members = s.memberViews(id)
	if v.Live {
		v.Plans, v.PlansError = s.productPlans(ctx, cfg, id)
	}
	v.Resources = s.resourceViews(id, v.Plans, v.Members)
	v.Projects, v.Deployments = s.deploymentsView(id)
	v.DeployURL = consoleURL(id, "deployments")
	if v.Live {
		v.ImportLink = s.importLink(id)
		targets := s.transferTargets(id)
		for i := range v.Resources {
			v.Resources[i].Targets = targets
		}
	}
	for _, a := range cfg.Actions {
		v.Actions = append(v.Actions, actionView{ConsoleAction: a, URL: consoleURL(id, "actions", a.Name)})
	}
	if cfg.Notes != nil {
		v.Notes = cfg.Notes(id)
	}
	return v
}

func (s *Sim) memberViews(id string) []memberView {
	s.mu.Lock()
	var list []memberView
	for _, m := range s.inst(id).members {
		list = append(list, memberView{Member: m})
	}
	s.mu.Unlock()
	slices.SortFunc(list, func(a, b memberView) int { return strings.Compare(a.Role+a.ID, b.Role+b.ID) })
	for i := range list {
		list[i].Name = s.memberName(id, list[i].ID)
		list[i].Link = s.OpenInProviderURL(id, list[i].ID, nil)
	}
	return list
}

func (s *Sim) resourceViews(id string, plans []planOption, members []memberView) []resourceView {
	var viewer *memberView
	for i := range members {
		if members[i].Role == "USER" {
			viewer = &members[i]
			break
		}
	}
	var out []resourceView
	for _, res := range s.Resources(id) {
		at := url.Values{"resource_id": {res.ID}}
		rv := resourceView{Resource: res, PlanName: cmpOr(res.BillingPlanID, "—"), Notification: notificationOf(res.Notification),
			OpenAdmin: s.OpenInProviderURL(id, DefaultAdminUserID, at),
			PlanURL:   consoleURL(id, "resources", res.ID, "plan"), RotateURL: consoleURL(id, "resources", res.ID, "rotate"),
			DeleteURL: consoleURL(id, "resources", res.ID, "delete"), ProjectsURL: consoleURL(id, "webhooks", "project"),
			TransferURL: consoleURL(id, "resources", res.ID, "transfer"),
			REPLURL:     consoleURL(id, "resources", res.ID, "repl"), REPL: s.lastREPL(id, res.ID)}
		if viewer != nil {
			rv.OpenMember, rv.AsWhom, rv.MemberID = s.OpenInProviderURL(id, viewer.ID, at), viewer.Name, viewer.ID
		}
		for _, p := range plans {
			if p.ProductID != res.ProductID {
				continue
			}
			rv.Plans = append(rv.Plans, p)
			if p.ID == res.BillingPlanID {
				rv.PlanName = p.Name
			}
		}
		out = append(out, rv)
	}
	return out
}

// productPlans asks the partner for each product's plans, as Vercel's
// "create resource" page does.
func (s *Sim) productPlans(ctx context.Context, cfg Console, id string) ([]planOption, string) {
	if cfg.PartnerURL == "" {
		return nil, ""
	}
	var out []planOption
	for _, product := range cfg.Products {
		resp, err := s.ListProductPlans(ctx, cfg.PartnerURL, id, product, "")
		if err != nil || resp.Status != http.StatusOK {
			return out, partnerFlash("", "Could not list the plans of "+product, resp, err).Text
		}
		var body struct {
			Plans []struct {
				ID, Name, Cost string
				Disabled       bool
			}
		}
		_ = json.Unmarshal(resp.Body, &body)
		for _, p := range body.Plans {
			if !p.Disabled {
				out = append(out, planOption{ProductID: product, ID: p.ID, Name: p.Name, Cost: p.Cost})
			}
		}
	}
	return out, ""
}

// render writes the named page, rendered whole first so that a template
// error gives a 500 rather than half a page.
func (s *Sim) render(w http.ResponseWriter, name string, data any) {
	var buf bytes.Buffer
	if err := consolePages.ExecuteTemplate(&buf, name, data); err != nil {
		s.logf("vercelsim: %s page: %v", name, err)
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = buf.WriteTo(w)
}
