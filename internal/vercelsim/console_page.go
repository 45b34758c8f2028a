package vercelsim

import (
	"bytes"
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

type homeView struct {
	Flash         string
	Mode          string
	Modes         []string
	Links         []ConsoleLink
	Installations []instView
}

type instView struct {
	ID, Account, Status string
	Live                bool
	Resources           []resourceView
	Members             []memberView
	Invoices            []Invoice
	Plans               []planOption
	PlansError          string
	Actions             []actionView
	Notes               []ConsoleNote
	Open                string // Open in Provider as the default admin
}

type resourceView struct {
	Resource
	Plans               []planOption
	OpenAdmin           string
	OpenMember, AsWhom  string
	PlanURL, RotateURL  string
	DeleteURL, Projects string
}

type memberView struct {
	Member
	Name, Link string
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
	v := homeView{Flash: s.flashFor(r.URL.Query().Get("flash")), Mode: s.modeName(), Modes: []string{"up", "down", "rate-limited"}, Links: s.consoleConfig().Links}
	for _, id := range s.InstallationIDs() {
		v.Installations = append(v.Installations, s.instView(ctx, id))
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := homePage.Execute(w, v); err != nil {
		s.logf("vercelsim: console: %v", err)
	}
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
		Invoices: s.Invoices(id), Open: s.OpenInProviderURL(id, DefaultAdminUserID, nil)}
	switch {
	case st.Finalized:
		v.Status = "uninstalled (finalized)"
	case st.PendingDeletion:
		v.Status = "uninstalling (pending final invoices)"
	}
	v.Members = s.memberViews(id)
	if v.Live {
		v.Plans, v.PlansError = s.productPlans(ctx, cfg, id)
	}
	v.Resources = s.resourceViews(id, v.Plans, v.Members)
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
		rv := resourceView{Resource: res, OpenAdmin: s.OpenInProviderURL(id, DefaultAdminUserID, at),
			PlanURL: consoleURL(id, "resources", res.ID, "plan"), RotateURL: consoleURL(id, "resources", res.ID, "rotate"),
			DeleteURL: consoleURL(id, "resources", res.ID, "delete"), Projects: consoleURL(id, "webhooks", "project")}
		if viewer != nil {
			rv.OpenMember, rv.AsWhom = s.OpenInProviderURL(id, viewer.ID, at), viewer.Name
		}
		for _, p := range plans {
			if p.ProductID == res.ProductID {
				rv.Plans = append(rv.Plans, p)
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
			return out, partnerCall("Plans of "+product, resp, err)
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

type requestView struct {
	Request
	Time, Delivery, Body, Class string
}

// deliveryHeaders are request headers that name a delivery, when sent.
var deliveryHeaders = []string{"Idempotency-Key", "X-Delivery-Id", "X-Request-Id"}

// handleRequests lists what the simulator received, newest first.
func (s *Sim) handleRequests(w http.ResponseWriter, r *http.Request) {
	var list []requestView
	for _, req := range s.RequestsNewestFirst() {
		if req.Route == RouteOpenInProvider { // the browser's, not the partner's
			continue
		}
		if list = append(list, viewRequest(req)); len(list) == 500 {
			break
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := requestsPage.Execute(w, map[string]any{"Requests": list, "Mode": s.modeName()}); err != nil {
		s.logf("vercelsim: requests page: %v", err)
	}
}

func viewRequest(req Request) requestView {
	v := requestView{Request: req, Time: req.Time.Format("15:04:05.000"), Body: prettyBody(redact(req)), Class: "ok"}
	if req.Status == 0 || req.Status >= 400 {
		v.Class = "failed"
	}
	for _, h := range deliveryHeaders {
		if val := req.Header.Get(h); val != "" {
			v.Delivery = h + ": " + val
			break
		}
	}
	return v
}

// redact hides the client secret of an SSO exchange.
func redact(req Request) []byte {
	if req.Route != RouteSSOToken {
		return req.Body
	}
	if m, err := decodeObject(req.Body); err == nil {
		if _, ok := m["client_secret"]; ok {
			m["client_secret"] = "[redacted]"
		}
		b, _ := json.Marshal(m)
		return b
	}
	form, err := url.ParseQuery(string(req.Body))
	if err != nil {
		return []byte("[unreadable form]")
	}
	if form.Has("client_secret") {
		form.Set("client_secret", "[redacted]")
	}
	return []byte(form.Encode())
}

// prettyBody indents a JSON body; other bodies are shown as sent.
func prettyBody(body []byte) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, body, "", "  "); err == nil {
		return buf.String()
	}
	return string(body)
}

const consoleStyle = `<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#111;background:#fafafa}
header{background:#000;color:#fff;padding:.7rem 1.5rem;display:flex;gap:1.5rem;align-items:center;flex-wrap:wrap}
header a{color:#fff}main{max-width:64rem;margin:1rem auto;padding:0 1rem}
section{background:#fff;border:1px solid #e5e5e5;border-radius:8px;padding:1rem 1.2rem;margin:1rem 0}
h1{font-size:1.1rem;margin:0}h2{font-size:1.05rem;margin:.2rem 0 .6rem}h3{font-size:.95rem;margin:.8rem 0 .3rem}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.35rem .5rem;border-top:1px solid #eee;vertical-align:top}
code,pre{background:#f3f3f3;padding:0 .25rem;border-radius:4px;font-size:.85rem}pre{padding:.6rem;overflow:auto;white-space:pre-wrap;word-break:break-all}
button,.button{background:#000;color:#fff;border:0;padding:.3rem .8rem;border-radius:6px;cursor:pointer;text-decoration:none;display:inline-block;font-size:.85rem;margin:.1rem 0}
button.danger{background:#c00}.muted{color:#666}.flash{background:#eef6ff;border:1px solid #9cc3f5;padding:.6rem 1rem;border-radius:6px;word-break:break-word}
form.inline{display:inline}.mode-down,.mode-rate-limited{color:#c00;font-weight:bold}.mode-up{color:#080;font-weight:bold}
input,select,textarea{font:inherit;padding:.2rem .4rem}.failed{color:#c00}</style>`

var homePage = template.Must(template.New("home").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Vercel (simulated)</title>` + consoleStyle + `</head><body>
<header><h1>▲ Vercel <span class="muted">(simulated)</span></h1><a href="/requests">What Vercel received</a>
{{range .Links}}<a href="{{.URL}}">{{.Label}}</a>{{end}}</header><main>
{{with .Flash}}<p class="flash" id="flash" role="status">{{.}}</p>{{end}}
<section id="mode"><h2>Vercel's API: <span id="mode-now" class="mode-{{.Mode}}">{{.Mode}}</span></h2>
<p class="muted">Turn Vercel's API down or rate-limiting to watch the partner's writes go pending and land once it is back.</p>
{{range $m := .Modes}}<form class="inline" method="post" action="/console/mode"><input type="hidden" name="mode" value="{{$m}}"><button id="mode-{{$m}}">{{$m}}</button></form> {{end}}</section>
{{range .Installations}}{{template "installation" .}}{{else}}<section><p>No installations yet.</p></section>{{end}}
</main></body></html>
{{define "installation"}}{{$inst := .}}
<section id="installation"><h2>Integration installed on {{or .Account "a team"}}</h2>
<p><code>{{.ID}}</code> · <span id="installation-status">{{.Status}}</span> · <a class="button" href="{{.Open}}">Open in Provider</a></p>
{{if .Live}}<form method="post" action="/console/{{.ID}}/uninstall" class="inline"><button class="danger" id="uninstall">Uninstall integration</button></form>{{end}}</section>
<section id="resources"><h2>Resources</h2>
{{with .PlansError}}<p class="flash">{{.}}</p>{{end}}
{{range .Resources}}{{$res := .}}<div class="resource" data-resource="{{.ID}}"><h3><span class="resource-name">{{.Name}}</span> <code>{{.ID}}</code></h3>
<p>{{.ProductID}} · plan <b class="resource-plan">{{or .BillingPlanID "—"}}</b> · status <b class="resource-status">{{.Status}}</b></p>
<p><a class="button open-admin" href="{{.OpenAdmin}}">Open in Provider (admin)</a>
{{with .OpenMember}}<a class="button open-member" href="{{.}}">Open in Provider as {{$res.AsWhom}}</a>{{end}}</p>
<h3>Environment variables</h3>
{{if .Secrets}}<table class="env"><tr><th>Name</th><th>Value</th></tr>{{range .Secrets}}<tr><td><code>{{.Name}}</code></td><td><code>{{.Value}}</code></td></tr>{{end}}</table>
{{else}}<p class="muted">Vercel has received no secrets for this resource.</p>{{end}}
<p>{{if .Plans}}<form class="inline" method="post" action="{{.PlanURL}}"><select name="plan">{{$cur := .BillingPlanID}}{{range .Plans}}<option value="{{.ID}}"{{if eq .ID $cur}} selected{{end}}>{{.Name}}{{with .Cost}} ({{.}}){{end}}</option>{{end}}</select> <button>Change plan</button></form>{{end}}
<form class="inline" method="post" action="{{.RotateURL}}"><button>Rotate secrets</button></form>
<form class="inline" method="post" action="{{.Projects}}"><input type="hidden" name="resource" value="{{.ID}}"><input name="project" value="prj_demo" size="10" aria-label="project"><select name="action"><option value="connect">connect project</option><option value="disconnect">disconnect project</option></select> <button>Send webhook</button></form>
<form class="inline" method="post" action="{{.DeleteURL}}"><button class="danger">Delete</button></form></p></div>
{{else}}<p class="muted">No resources.</p>{{end}}
{{if .Plans}}<h3 id="create">Create a resource</h3>
<form method="post" action="/console/{{.ID}}/resources" id="create-form">
<label>Name <input id="create-name" name="name" required value="new-db"></label>
<label>Product and plan <select id="create-plan" name="plan">{{range .Plans}}<option value="{{.ProductID}}/{{.ID}}">{{.ProductID}}: {{.Name}}{{with .Cost}} ({{.}}){{end}}</option>{{end}}</select></label><br>
<label>Metadata (JSON) <textarea name="metadata" rows="2" cols="40">{}</textarea></label><br>
<button id="create-submit">Create resource</button></form>{{end}}</section>
<section id="members"><h2>Members</h2><table><tr><th>Name</th><th>Email</th><th>Role</th><th></th></tr>
{{range .Members}}<tr><td>{{.Name}}</td><td>{{.UserEmail}}</td><td>{{.Role}}</td><td><a class="button" href="{{.Link}}">Open in Provider as {{.Name}}</a>
<form class="inline" method="post" action="/console/{{$inst.ID}}/webhooks/member"><input type="hidden" name="member" value="{{.ID}}"><select name="role" aria-label="new role"><option>ADMIN</option><option>USER</option><option>NONE</option></select> <button>Change role (webhook)</button></form></td></tr>{{end}}</table></section>
<section id="invoices"><h2>Invoices</h2>
{{if .Invoices}}<table><tr><th>Number</th><th>Period</th><th>Total</th><th>State</th><th>Webhook</th></tr>
{{range .Invoices}}<tr data-invoice="{{.InvoiceID}}"><td>{{.InvoiceNumber}}<br><code>{{.InvoiceID}}</code></td><td>{{.Period.Start}} – {{.Period.End}}</td><td>${{.Total}}</td><td class="invoice-state">{{.State}}</td>
<td><form class="inline" method="post" action="/console/{{$inst.ID}}/webhooks/invoice"><input type="hidden" name="invoice" value="{{.InvoiceID}}"><select name="kind" aria-label="event"><option value="paid">paid</option><option value="notpaid">not paid</option><option value="overdue">overdue</option><option value="refunded">refunded</option><option value="created">created</option></select> <button>Send</button></form></td></tr>{{end}}</table>
{{else}}<p class="muted">The partner has submitted no invoices yet.</p>{{end}}</section>
{{if or .Actions .Notes}}<section id="partner"><h2>The partner's side</h2>
{{range .Actions}}<form method="post" action="{{.URL}}"><button id="action-{{.Name}}">{{.Label}}</button> <span class="muted">{{.Help}}</span></form>{{end}}
{{range .Notes}}<h3>{{.Title}}</h3><pre>{{.Text}}</pre>{{end}}</section>{{end}}
{{end}}`))

var requestsPage = template.Must(template.New("requests").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>What Vercel received</title>` + consoleStyle + `</head><body>
<header><h1>▲ Vercel <span class="muted">(simulated)</span></h1><a href="/">Dashboard</a><span>API: <span class="mode-{{.Mode}}">{{.Mode}}</span></span></header><main>
<h2>What Vercel received, newest first</h2>
{{range .Requests}}<section class="request"><p><b class="request-line">{{.Method}} {{.Path}}{{with .Query}}?{{.}}{{end}}</b> →
<span class="status {{.Class}}">{{if .Status}}{{.Status}}{{else}}dropped (Vercel down){{end}}</span>
· {{with .Delivery}}{{.}} · {{end}}<span class="muted">{{.Time}}</span></p>
{{with .Body}}<pre>{{.}}</pre>{{end}}</section>{{else}}<p class="muted">Nothing yet.</p>{{end}}
</main></body></html>`))
