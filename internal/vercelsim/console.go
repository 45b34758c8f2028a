package vercelsim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Console configures the simulated Vercel dashboard served at "/": what a
// team sees of the integration, with buttons that make the simulator call
// the partner the way Vercel does.
type Console struct {
	PartnerURL string   // the partner's base URL: partner API and webhooks
	WebhookURL string   // where webhooks go; default PartnerURL + "/webhooks/vercel"
	Products   []string // the integration's product IDs, for "Create resource"
	// ImportURL is the partner's Import Resource URL; set, each
	// installation has an "Import resource" button that opens it.
	ImportURL string
	Links     []ConsoleLink
	Actions   []ConsoleAction
	// Notes, when set, gives text shown for an installation (e.g. commands
	// to copy); it is called on every page view.
	Notes func(installationID string) []ConsoleNote
	// StartOver, when set, is shown beside "Install again" once an
	// installation is uninstalled: how to start everything from scratch
	// (the demo: its -reset flag).
	StartOver string
}

// ConsoleLink is a link shown at the top of the console.
type ConsoleLink struct{ Label, URL string }

// ConsoleAction is an extra button for an installation; Run's answer (or
// error) is shown after the redirect.
type ConsoleAction struct {
	Name  string // URL segment: letters, digits and dashes
	Label string
	Help  string
	Run   func(ctx context.Context, installationID string) (string, error)
}

// ConsoleNote is a titled block of preformatted text.
type ConsoleNote struct{ Title, Text string }

// console is the dashboard's configuration and its flash messages.
type console struct {
	mu      sync.Mutex
	cfg     Console
	flashes map[string]flash
	order   []string
	states  map[string]string // import states sent, by state: the installation
}

// SetConsole configures the simulated dashboard; its PartnerURL also
// becomes the integration's base URL (see SetPartnerURL).
func (s *Sim) SetConsole(c Console) {
	if c.WebhookURL == "" && c.PartnerURL != "" {
		c.WebhookURL = c.PartnerURL + "/webhooks/vercel"
	}
	if c.PartnerURL != "" {
		s.SetPartnerURL(c.PartnerURL)
	}
	s.console.mu.Lock()
	defer s.console.mu.Unlock()
	s.console.cfg = c
}

func (s *Sim) consoleConfig() Console {
	s.console.mu.Lock()
	defer s.console.mu.Unlock()
	return s.console.cfg
}

// consoleRoutes registers the browser pages. They are not recorded: the
// request log is what the partner sent.
func (s *Sim) consoleRoutes(mux *http.ServeMux) {
	cop := http.NewCrossOriginProtection()
	post := func(pattern string, h func(*http.Request) (flash, string)) {
		mux.Handle("POST "+pattern, cop.Handler(s.consoleAction(h)))
	}
	mux.HandleFunc("GET /{$}", s.handleHome)
	mux.HandleFunc("GET /requests", s.handleRequests)
	mux.HandleFunc("GET /pushes", s.handlePushesPage)
	mux.HandleFunc("GET /console.css", handleConsoleCSS)
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	post("/console/mode", s.postMode)
	post("/console/{id}/resources", s.postCreateResource)
	post("/console/{id}/resources/{rid}/plan", s.postChangePlan)
	post("/console/{id}/resources/{rid}/rotate", s.postRotate)
	post("/console/{id}/resources/{rid}/delete", s.postDeleteResource)
	post("/console/{id}/resources/{rid}/transfer", s.postTransfer)
	mux.HandleFunc("GET /import/return", s.handleImportReturn)
	post("/console/{id}/resources/{rid}/repl", s.postREPL)
	post("/console/{id}/uninstall", s.postUninstall)
	post("/console/{id}/install", s.postInstallAgain)
	post("/console/{id}/webhooks/invoice", s.postInvoiceWebhook)
	post("/console/{id}/webhooks/member", s.postMemberWebhook)
	post("/console/{id}/webhooks/project", s.postProjectWebhook)
	post("/console/{id}/actions/{name}", s.postExtraAction)
	post("/console/{id}/deployments", s.postDeploy)
	post("/console/{id}/deployments/{did}/cancel", s.postCancelDeployment)
	post("/console/{id}/deployments/{did}/cleanup", s.postCleanupDeployment)
}

// consoleAction runs h, which returns a message and the anchor to go back
// to, and redirects to the dashboard (POST-redirect-GET).
func (s *Sim) consoleAction(h func(*http.Request) (f flash, anchor string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		f, anchor := h(r)
		target := "/?flash=" + s.saveFlash(f)
		if anchor != "" {
			target += "#" + anchor
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
	})
}

func (s *Sim) partner() (string, error) {
	c := s.consoleConfig()
	if c.PartnerURL == "" {
		return "", fmt.Errorf("no partner is configured for this page")
	}
	return c.PartnerURL, nil
}

// resourceName is how messages name a resource: its name in quotes, or
// its id when Vercel has no copy.
func (s *Sim) resourceName(installationID, resourceID string) string {
	if res, ok := s.Resource(installationID, resourceID); ok && res.Name != "" {
		return quote(res.Name)
	}
	return resourceID
}

var modeNews = map[string]string{
	"up":           "Vercel's API is up: the partner's calls are answered again.",
	"down":         "Vercel's API is down: the partner's calls now get no answer, and its writes wait until you bring it back up.",
	"rate-limited": "Vercel's API is rate-limiting: every call of the partner now gets 429 Too Many Requests.",
}

func (s *Sim) postMode(r *http.Request) (flash, string) {
	modes := map[string]Mode{"up": ModeUp, "down": ModeDown, "rate-limited": ModeRateLimited}
	name := r.PostFormValue("mode")
	m, ok := modes[name]
	if !ok {
		return problem("There is no mode %s; choose up, down or rate-limited.", quote(name)), "mode"
	}
	s.SetMode(m)
	return note("%s", modeNews[name]), "mode"
}

func (s *Sim) postCreateResource(r *http.Request) (flash, string) {
	base, err := s.partner()
	if err != nil {
		return problem("Could not create the resource: %v.", err), "create"
	}
	product, plan, _ := strings.Cut(r.PostFormValue("plan"), "/")
	name := strings.TrimSpace(r.PostFormValue("name"))
	body := map[string]any{"productId": product, "name": name, "billingPlanId": plan, "metadata": map[string]any{}}
	if md := strings.TrimSpace(r.PostFormValue("metadata")); md != "" {
		var m map[string]any
		if err := json.Unmarshal([]byte(md), &m); err != nil {
			return problem("Could not create %s: the metadata is not a JSON object (%v).", quote(name), err), "create"
		}
		body["metadata"] = m
	}
	resp, err := s.Provision(r.Context(), base, r.PathValue("id"), body)
	f := partnerFlash("Created "+quote(name)+" on the "+planName(resp.JSON, plan)+" plan", "Could not create "+quote(name), resp, err)
	if !f.Failed {
		secrets, _ := resp.JSON["secrets"].([]any)
		f.Text += fmt.Sprintf(" Vercel received %d environment variables for it.", len(secrets))
	}
	return f, "resources"
}

// planName is the plan's name in a partner's Resource answer, else id.
func planName(answer map[string]any, id string) string {
	if p, ok := answer["billingPlan"].(map[string]any); ok {
		if name, ok := p["name"].(string); ok && name != "" {
			return name
		}
	}
	return id
}

func (s *Sim) postChangePlan(r *http.Request) (flash, string) {
	inst, rid, plan := r.PathValue("id"), r.PathValue("rid"), r.PostFormValue("plan")
	name := s.resourceName(inst, rid)
	base, err := s.partner()
	if err != nil {
		return problem("Could not change the plan of %s: %v.", name, err), "resources"
	}
	resp, err := s.UpdateResource(r.Context(), base, inst, rid, map[string]any{"billingPlanId": plan})
	return partnerFlash("Moved "+name+" to the "+planName(resp.JSON, plan)+" plan", "Could not change the plan of "+name, resp, err), "resources"
}

func (s *Sim) postRotate(r *http.Request) (flash, string) {
	inst, rid := r.PathValue("id"), r.PathValue("rid")
	name := s.resourceName(inst, rid)
	base, err := s.partner()
	if err != nil {
		return problem("Could not rotate the secrets of %s: %v.", name, err), "resources"
	}
	resp, err := s.RotateSecrets(r.Context(), base, inst, rid, map[string]any{"reason": "requested in the simulated Vercel dashboard"})
	f := partnerFlash("Asked the partner to rotate the secrets of "+name, "Could not rotate the secrets of "+name, resp, err)
	switch {
	case f.Failed:
	case resp.JSON["sync"] == true:
		secrets, _ := resp.JSON["secrets"].([]any)
		f.Text += fmt.Sprintf(" It sent %d new values at once.", len(secrets))
	default:
		f.Text += " It will send the new values to Vercel when they are ready."
	}
	return f, "resources"
}

func (s *Sim) postDeleteResource(r *http.Request) (flash, string) {
	inst, rid := r.PathValue("id"), r.PathValue("rid")
	name := s.resourceName(inst, rid)
	base, err := s.partner()
	if err != nil {
		return problem("Could not delete %s: %v.", name, err), "resources"
	}
	resp, err := s.DeleteResource(r.Context(), base, inst, rid)
	return partnerFlash("Deleted "+name, "Could not delete "+name, resp, err), "resources"
}

func (s *Sim) postUninstall(r *http.Request) (flash, string) {
	base, err := s.partner()
	if err != nil {
		return problem("Could not uninstall: %v.", err), "installation"
	}
	finalized, err := s.Uninstall(r.Context(), base, r.PathValue("id"))
	switch {
	case err != nil:
		text, detail := splitAnswer(err.Error())
		return flash{Text: "Could not uninstall: " + text + ".", Detail: detail, Failed: true}, "installation"
	case finalized:
		return note("Uninstalled; the partner finalized the installation at once. Open in Provider now shows that it is uninstalled; " +
			"\"Install again\" installs the integration afresh."), "installation"
	}
	return note("Uninstalled; the partner may still send final invoices, then finalizes. Open in Provider now shows that it is " +
		"uninstalled; \"Install again\" installs the integration once more."), "installation"
}

// postInstallAgain is what installing the integration again from the
// Marketplace does: a fresh Upsert Installation with a new access token.
// A finalized installation starts over without its old resources, as a
// new installation; one still pending finalization keeps them.
func (s *Sim) postInstallAgain(r *http.Request) (flash, string) {
	id := r.PathValue("id")
	base, err := s.partner()
	if err != nil {
		return problem("Could not install again: %v.", err), "installation"
	}
	st, _ := s.Installation(id)
	if st.AccessToken != "" && !st.PendingDeletion && !st.Finalized {
		return problem("The integration is installed already."), "installation"
	}
	if _, err := s.Install(r.Context(), base, id); err != nil {
		text, detail := splitAnswer(err.Error())
		return flash{Text: "Could not install again: " + text + ".", Detail: detail, Failed: true}, "installation"
	}
	if st.Finalized {
		s.forgetResources(id)
		return note("Installed again: Vercel sent PUT /v1/installations/%s with a new access token. The old installation was finalized, "+
			"so this one starts with no resources.", id), "installation"
	}
	return note("Installed again: Vercel sent PUT /v1/installations/%s with a new access token. It was not finalized yet, "+
		"so its resources are kept.", id), "installation"
}

// invoiceEvents names the invoice webhooks the page can send.
var invoiceEvents = map[string]string{"paid": "invoice paid", "notpaid": "invoice not paid", "overdue": "invoice overdue",
	"refunded": "invoice refunded", "created": "invoice created"}

func (s *Sim) postInvoiceWebhook(r *http.Request) (flash, string) {
	inst, invoice, kind := r.PathValue("id"), r.PostFormValue("invoice"), r.PostFormValue("kind")
	inv, ok := s.Invoice(inst, invoice)
	if !ok {
		return problem("Vercel has no invoice %s.", invoice), "invoices"
	}
	what, ok := invoiceEvents[kind]
	if !ok {
		return problem("There is no invoice webhook %s.", quote(kind)), "invoices"
	}
	return s.sendWebhook(r.Context(), s.InvoiceEvent(kind, inst, invoice, "", "", Period{}),
		fmt.Sprintf("%s for %s", quote(what), cmpOr(inv.InvoiceNumber, invoice))), "invoices"
}

func (s *Sim) postMemberWebhook(r *http.Request) (flash, string) {
	inst, member, role := r.PathValue("id"), r.PostFormValue("member"), r.PostFormValue("role")
	if role != "ADMIN" && role != "USER" && role != "NONE" {
		return problem("There is no role %s; choose ADMIN, USER or NONE.", quote(role)), "members"
	}
	who := s.memberName(inst, member)
	change := who + " is now " + role
	if role == "NONE" {
		change = who + " left the team"
	}
	return s.sendWebhook(r.Context(), s.MemberChangedEvent(inst, member, role), quote("member changed")+" ("+change+")"), "members"
}

func (s *Sim) postProjectWebhook(r *http.Request) (flash, string) {
	inst, rid := r.PathValue("id"), r.PostFormValue("resource")
	project := strings.TrimSpace(r.PostFormValue("project"))
	if project == "" {
		project = "prj_demo"
	}
	targets := []string{"production", "preview", "development"}
	ev := s.ProjectConnectedEvent(inst, rid, Project{ID: project, Name: strings.TrimPrefix(project, "prj_")}, targets)
	what := fmt.Sprintf("%s (%s to %s)", quote("project connected"), project, s.resourceName(inst, rid))
	if r.PostFormValue("action") == "disconnect" {
		ev = s.ProjectDisconnectedEvent(inst, rid, project, targets)
		what = fmt.Sprintf("%s (%s from %s)", quote("project disconnected"), project, s.resourceName(inst, rid))
	}
	return s.sendWebhook(r.Context(), ev, what), "resources"
}

// sendWebhook delivers ev and reports it as "Sent <what> ...".
func (s *Sim) sendWebhook(ctx context.Context, ev WebhookEvent, what string) flash {
	target := s.consoleConfig().WebhookURL
	if target == "" {
		return problem("Could not send the %s webhook: no webhook URL is configured.", ev.Type)
	}
	status, err := s.DeliverWebhook(ctx, target, ev)
	if err != nil {
		return problem("Could not send %s: the partner did not answer (%v).", what, err)
	}
	answered := fmt.Sprintf("the partner answered %d %s", status, http.StatusText(status))
	if status/100 != 2 {
		return problem("Sent %s, but %s.", what, answered)
	}
	return note("Sent %s: %s.", what, answered)
}

func (s *Sim) postExtraAction(r *http.Request) (flash, string) {
	for _, a := range s.consoleConfig().Actions {
		if a.Name != r.PathValue("name") || a.Run == nil {
			continue
		}
		ctx, cancel := context.WithTimeout(r.Context(), time.Minute)
		defer cancel()
		msg, err := a.Run(ctx, r.PathValue("id"))
		f := flash{}
		if err != nil {
			msg, f.Failed = err.Error(), true
		}
		f.Text, f.Detail = splitAnswer(msg)
		f.Text = a.Label + ": " + f.Text
		if !strings.HasSuffix(f.Text, ".") {
			f.Text += "."
		}
		return f, "partner"
	}
	return problem("There is no action %s.", quote(r.PathValue("name"))), "partner"
}

// consoleURL is a console form's action path.
func consoleURL(installationID string, parts ...string) string {
	p := "/console/" + url.PathEscape(installationID)
	for _, part := range parts {
		p += "/" + url.PathEscape(part)
	}
	return p
}
