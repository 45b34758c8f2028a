package vercelsim

import (
	"bytes"
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
	Links      []ConsoleLink
	Actions    []ConsoleAction
	// Notes, when set, gives text shown for an installation (e.g. commands
	// to copy); it is called on every page view.
	Notes func(installationID string) []ConsoleNote
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
	flashes map[string]string
	order   []string
}

// maxFlashes bounds the kept flash messages.
const maxFlashes = 50

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

// flash keeps msg and returns its key for the redirect.
func (s *Sim) flash(msg string) string {
	c := &s.console
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.flashes == nil {
		c.flashes = map[string]string{}
	}
	key := strings.ToLower(newID(""))
	c.flashes[key] = msg
	c.order = append(c.order, key)
	if len(c.order) > maxFlashes {
		delete(c.flashes, c.order[0])
		c.order = c.order[1:]
	}
	return key
}

func (s *Sim) flashFor(key string) string {
	s.console.mu.Lock()
	defer s.console.mu.Unlock()
	return s.console.flashes[key]
}

// consoleRoutes registers the browser pages. They are not recorded: the
// request log is what the partner sent.
func (s *Sim) consoleRoutes(mux *http.ServeMux) {
	cop := http.NewCrossOriginProtection()
	post := func(pattern string, h func(*http.Request) (string, string)) {
		mux.Handle("POST "+pattern, cop.Handler(s.consoleAction(h)))
	}
	mux.HandleFunc("GET /{$}", s.handleHome)
	mux.HandleFunc("GET /requests", s.handleRequests)
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	post("/console/mode", s.postMode)
	post("/console/{id}/resources", s.postCreateResource)
	post("/console/{id}/resources/{rid}/plan", s.postChangePlan)
	post("/console/{id}/resources/{rid}/rotate", s.postRotate)
	post("/console/{id}/resources/{rid}/delete", s.postDeleteResource)
	post("/console/{id}/uninstall", s.postUninstall)
	post("/console/{id}/webhooks/invoice", s.postInvoiceWebhook)
	post("/console/{id}/webhooks/member", s.postMemberWebhook)
	post("/console/{id}/webhooks/project", s.postProjectWebhook)
	post("/console/{id}/actions/{name}", s.postExtraAction)
}

// consoleAction runs h, which returns a message and the anchor to go back
// to, and redirects to the dashboard (POST-redirect-GET).
func (s *Sim) consoleAction(h func(*http.Request) (msg, anchor string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		msg, anchor := h(r)
		target := "/?flash=" + s.flash(msg)
		if anchor != "" {
			target += "#" + anchor
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
	})
}

// partnerCall is how a console action reports a call to the partner.
func partnerCall(what string, resp PartnerResponse, err error) string {
	if err != nil {
		return what + ": the partner did not answer: " + err.Error()
	}
	return fmt.Sprintf("%s: the partner answered %d %s%s", what, resp.Status, http.StatusText(resp.Status), bodySummary(resp.Body))
}

func bodySummary(body []byte) string {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return ""
	}
	if len(body) > 600 {
		body = append(body[:600:600], "…"...)
	}
	return " " + string(body)
}

func (s *Sim) partner() (string, error) {
	c := s.consoleConfig()
	if c.PartnerURL == "" {
		return "", fmt.Errorf("no partner configured for the console")
	}
	return c.PartnerURL, nil
}

func (s *Sim) postMode(r *http.Request) (string, string) {
	modes := map[string]Mode{"up": ModeUp, "down": ModeDown, "rate-limited": ModeRateLimited}
	m, ok := modes[r.PostFormValue("mode")]
	if !ok {
		return "Unknown mode " + r.PostFormValue("mode"), "mode"
	}
	s.SetMode(m)
	return "Vercel's API is now " + r.PostFormValue("mode") + ".", "mode"
}

func (s *Sim) postCreateResource(r *http.Request) (string, string) {
	base, err := s.partner()
	if err != nil {
		return err.Error(), "create"
	}
	product, plan, _ := strings.Cut(r.PostFormValue("plan"), "/")
	body := map[string]any{"productId": product, "name": strings.TrimSpace(r.PostFormValue("name")),
		"billingPlanId": plan, "metadata": map[string]any{}}
	if md := strings.TrimSpace(r.PostFormValue("metadata")); md != "" {
		var m map[string]any
		if err := json.Unmarshal([]byte(md), &m); err != nil {
			return "Metadata must be a JSON object: " + err.Error(), "create"
		}
		body["metadata"] = m
	}
	resp, err := s.Provision(r.Context(), base, r.PathValue("id"), body)
	return partnerCall("Create resource", resp, err), "resources"
}

func (s *Sim) postChangePlan(r *http.Request) (string, string) {
	base, err := s.partner()
	if err != nil {
		return err.Error(), "resources"
	}
	resp, err := s.UpdateResource(r.Context(), base, r.PathValue("id"), r.PathValue("rid"),
		map[string]any{"billingPlanId": r.PostFormValue("plan")})
	return partnerCall("Change plan of "+r.PathValue("rid"), resp, err), "resources"
}

func (s *Sim) postRotate(r *http.Request) (string, string) {
	base, err := s.partner()
	if err != nil {
		return err.Error(), "resources"
	}
	resp, err := s.RotateSecrets(r.Context(), base, r.PathValue("id"), r.PathValue("rid"),
		map[string]any{"reason": "requested in the simulated Vercel dashboard"})
	return partnerCall("Rotate secrets of "+r.PathValue("rid"), resp, err), "resources"
}

func (s *Sim) postDeleteResource(r *http.Request) (string, string) {
	base, err := s.partner()
	if err != nil {
		return err.Error(), "resources"
	}
	resp, err := s.DeleteResource(r.Context(), base, r.PathValue("id"), r.PathValue("rid"))
	return partnerCall("Delete "+r.PathValue("rid"), resp, err), "resources"
}

func (s *Sim) postUninstall(r *http.Request) (string, string) {
	base, err := s.partner()
	if err != nil {
		return err.Error(), "installation"
	}
	finalized, err := s.Uninstall(r.Context(), base, r.PathValue("id"))
	switch {
	case err != nil:
		return "Uninstall: " + err.Error(), "installation"
	case finalized:
		return "Uninstalled; the partner finalized the installation at once.", "installation"
	}
	return "Uninstalled; the partner may still send final invoices, then finalizes.", "installation"
}

func (s *Sim) postInvoiceWebhook(r *http.Request) (string, string) {
	inst, invoice, kind := r.PathValue("id"), r.PostFormValue("invoice"), r.PostFormValue("kind")
	if _, ok := s.Invoice(inst, invoice); !ok {
		return "Unknown invoice " + invoice, "invoices"
	}
	switch kind {
	case "paid", "notpaid", "overdue", "refunded", "created":
	default:
		return "Unknown invoice event " + kind, "invoices"
	}
	return s.sendWebhook(r.Context(), s.InvoiceEvent(kind, inst, invoice, "", "", Period{})), "invoices"
}

func (s *Sim) postMemberWebhook(r *http.Request) (string, string) {
	role := r.PostFormValue("role")
	if role != "ADMIN" && role != "USER" && role != "NONE" {
		return "Unknown role " + role, "members"
	}
	ev := s.MemberChangedEvent(r.PathValue("id"), r.PostFormValue("member"), role)
	return s.sendWebhook(r.Context(), ev), "members"
}

func (s *Sim) postProjectWebhook(r *http.Request) (string, string) {
	inst, rid := r.PathValue("id"), r.PostFormValue("resource")
	project := strings.TrimSpace(r.PostFormValue("project"))
	if project == "" {
		project = "prj_demo"
	}
	targets := []string{"production", "preview", "development"}
	ev := s.ProjectConnectedEvent(inst, rid, Project{ID: project, Name: strings.TrimPrefix(project, "prj_")}, targets)
	if r.PostFormValue("action") == "disconnect" {
		ev = s.ProjectDisconnectedEvent(inst, rid, project, targets)
	}
	return s.sendWebhook(r.Context(), ev), "resources"
}

func (s *Sim) sendWebhook(ctx context.Context, ev WebhookEvent) string {
	target := s.consoleConfig().WebhookURL
	if target == "" {
		return "No webhook URL configured"
	}
	status, err := s.DeliverWebhook(ctx, target, ev)
	if err != nil {
		return "Webhook " + ev.Type + ": the partner did not answer: " + err.Error()
	}
	return fmt.Sprintf("Webhook %s (%s): the partner answered %d %s", ev.Type, ev.ID, status, http.StatusText(status))
}

func (s *Sim) postExtraAction(r *http.Request) (string, string) {
	for _, a := range s.consoleConfig().Actions {
		if a.Name != r.PathValue("name") || a.Run == nil {
			continue
		}
		ctx, cancel := context.WithTimeout(r.Context(), time.Minute)
		defer cancel()
		msg, err := a.Run(ctx, r.PathValue("id"))
		if err != nil {
			return a.Label + ": " + err.Error(), "partner"
		}
		return a.Label + ": " + msg, "partner"
	}
	return "Unknown action " + r.PathValue("name"), "partner"
}

// consoleURL is a console form's action path.
func consoleURL(installationID string, parts ...string) string {
	p := "/console/" + url.PathEscape(installationID)
	for _, part := range parts {
		p += "/" + url.PathEscape(part)
	}
	return p
}
