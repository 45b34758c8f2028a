package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// demoImport plays the partner's own web app behind its Import Resource
// URL: Vercel sends the user there with ?installation_id&product_id&state&return;
// the user signs in to the partner, picks a database they already have,
// and the app calls our internal API (PUT .../resources/{id}, which
// delivers importResource) before sending the browser back to return.
type demoImport struct {
	api      internalClient
	vercel   string // only return URLs under it are followed
	srv      *http.Server
	url      string
	mu       sync.Mutex
	sessions map[string]bool
}

// demoDatabase is a database the demo user already has at the partner.
type demoDatabase struct{ ID, Name, Note string }

var demoDatabases = []demoDatabase{
	{"pg_analytics", "analytics", "12 GB, created last year"},
	{"pg_legacy_orders", "legacy-orders", "3 GB, read-mostly"},
}

const importCookie = "demo_partner_session"

func startDemoImport(api internalClient, vercelURL string) (*demoImport, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo: import page: %w", err)
	}
	p := &demoImport{api: api, vercel: strings.TrimSuffix(vercelURL, "/"), url: "http://" + ln.Addr().String(),
		sessions: map[string]bool{}}
	mux := http.NewServeMux()
	cop := http.NewCrossOriginProtection()
	mux.HandleFunc("GET /import", p.handlePage)
	mux.Handle("POST /import/signin", cop.Handler(http.HandlerFunc(p.handleSignIn)))
	mux.Handle("POST /import", cop.Handler(http.HandlerFunc(p.handleImport)))
	p.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go p.srv.Serve(ln)
	return p, nil
}

func (p *demoImport) Close() { p.srv.Close() }

// importQuery is what Vercel puts on the Import Resource URL.
type importQuery struct{ Installation, Product, State, Return string }

func readImportQuery(v url.Values) importQuery {
	return importQuery{Installation: v.Get("installation_id"), Product: v.Get("product_id"), State: v.Get("state"), Return: v.Get("return")}
}

func (q importQuery) values() url.Values {
	return url.Values{"installation_id": {q.Installation}, "product_id": {q.Product}, "state": {q.State}, "return": {q.Return}}
}

// check refuses a query without an installation or state, or whose return
// is not the demo's Vercel: the page never redirects elsewhere.
func (p *demoImport) check(q importQuery) string {
	u, err := url.Parse(q.Return)
	switch {
	case q.Installation == "" || q.State == "":
		return "Vercel sends you here with an installation and a state; this link has neither."
	case err != nil || p.vercel == "" || !strings.HasPrefix(q.Return, p.vercel+"/") || u.Host == "":
		return "The return address is not Vercel's; this page sends you back to Vercel only."
	}
	return ""
}

func (p *demoImport) signedIn(r *http.Request) bool {
	c, err := r.Cookie(importCookie)
	if err != nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sessions[c.Value]
}

func (p *demoImport) handlePage(w http.ResponseWriter, r *http.Request) {
	q := readImportQuery(r.URL.Query())
	if msg := p.check(q); msg != "" {
		renderImport(w, http.StatusBadRequest, importView{Error: msg})
		return
	}
	v := importView{Query: q, Hidden: q.values(), SignedIn: p.signedIn(r), Databases: demoDatabases}
	renderImport(w, http.StatusOK, v)
}

// handleSignIn signs the demo user in (the partner's own login, which a
// real partner has) and goes back to the page.
func (p *demoImport) handleSignIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	q := readImportQuery(formValues(r))
	if msg := p.check(q); msg != "" {
		renderImport(w, http.StatusBadRequest, importView{Error: msg})
		return
	}
	id := rand.Text()
	p.mu.Lock()
	p.sessions[id] = true
	p.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: importCookie, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/import?"+q.values().Encode(), http.StatusSeeOther)
}

// handleImport imports the database picked through our internal API and,
// once the server took it, sends the browser back to Vercel.
func (p *demoImport) handleImport(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	form := formValues(r)
	q := readImportQuery(form)
	if msg := p.check(q); msg != "" {
		renderImport(w, http.StatusBadRequest, importView{Error: msg})
		return
	}
	if !p.signedIn(r) {
		renderImport(w, http.StatusForbidden, importView{Error: "Sign in first."})
		return
	}
	var db *demoDatabase
	for i := range demoDatabases {
		if demoDatabases[i].ID == form.Get("database") {
			db = &demoDatabases[i]
		}
	}
	if db == nil {
		renderImport(w, http.StatusBadRequest, importView{Error: "Pick one of your databases."})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 20*time.Second)
	defer cancel()
	status, body, err := p.api.do(ctx, http.MethodPut, "/installations/"+url.PathEscape(q.Installation)+"/resources/"+db.ID,
		map[string]any{"productId": cmpOr(q.Product, "postgres"), "name": db.Name, "billingPlanId": "hobby", "ownership": "linked",
			"secrets": demoDatabaseSecrets(db.ID, db.Name)})
	if err != nil || (status != http.StatusOK && status != http.StatusAccepted) {
		msg := fmt.Sprintf("Our server did not take the import (%d %s).", status, strings.TrimSpace(string(body)))
		if err != nil {
			msg = "Our server did not answer: " + err.Error()
		}
		renderImport(w, http.StatusBadGateway, importView{Error: msg})
		return
	}
	back := url.Values{"installation_id": {q.Installation}, "resource_id": {db.ID}, "state": {q.State}}
	http.Redirect(w, r, q.Return+"?"+back.Encode(), http.StatusSeeOther)
}

func formValues(r *http.Request) url.Values {
	if err := r.ParseForm(); err != nil {
		return url.Values{}
	}
	return r.PostForm
}

func cmpOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

type importView struct {
	Query     importQuery
	Hidden    url.Values
	SignedIn  bool
	Databases []demoDatabase
	Error     string
}

var importPage = template.Must(template.New("import").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Partner: import a database into Vercel</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem}
label{display:block;margin:.5rem 0}button{font:inherit;padding:.4rem 1rem}.muted{color:#666}.error{color:#b00}</style></head><body>
<h1>Partner (demo)</h1>
{{if .Error}}<p class="error" id="import-error">{{.Error}}</p>
{{else if not .SignedIn}}<p>Vercel sent you here to import a database you already have. Sign in to the partner first.</p>
<form method="post" action="/import/signin">{{range $k, $v := .Hidden}}<input type="hidden" name="{{$k}}" value="{{index $v 0}}">{{end}}
<button id="signin">Sign in as ada@acme.dev</button></form>
{{else}}<p>Signed in as ada@acme.dev. Which database goes to Vercel's installation <code>{{.Query.Installation}}</code>?</p>
<form method="post" action="/import" id="pick">{{range $k, $v := .Hidden}}<input type="hidden" name="{{$k}}" value="{{index $v 0}}">{{end}}
{{range $i, $db := .Databases}}<label><input type="radio" name="database" value="{{$db.ID}}" id="db-{{$db.Name}}"{{if eq $i 0}} checked{{end}}>
<b>{{$db.Name}}</b> <span class="muted">{{$db.Note}}</span></label>{{end}}
<p class="muted">It stays billed by the partner (linked); Vercel gets its connection secrets.</p>
<button id="import-submit">Import into Vercel</button></form>{{end}}
</body></html>`))

func renderImport(w http.ResponseWriter, status int, v importView) {
	var b strings.Builder
	if err := importPage.Execute(&b, v); err != nil {
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprint(w, b.String())
}
