package vercelsim

import (
	"crypto/rand"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// RouteOpenInProvider is Vercel's provider-initiated SSO URL
// (https://vercel.com/sso/integrations/{URLSlug}/{installationId}).
const RouteOpenInProvider = "GET /sso/integrations/{slug}/{installationId}"

// passThrough are the context parameters Vercel carries to the redirect.
var passThrough = []string{"resource_id", "product_id", "project_id", "check_id", "invoice_id", "path", "url", "experimentation_item_id", "pr"}

// SetRedirectLoginURL sets the partner's Redirect Login URL, where
// Open in Provider sends the browser (e.g. http://127.0.0.1:8080/callback).
func (s *Sim) SetRedirectLoginURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.redirectLoginURL = u
}

// OpenInProviderURL is the simulator's "Open in Provider" link for a member
// of an installation; params are passed through (resource_id, path, ...).
func (s *Sim) OpenInProviderURL(installationID, userID string, params url.Values) string {
	q := url.Values{}
	for _, k := range passThrough {
		if v := params.Get(k); v != "" {
			q.Set(k, v)
		}
	}
	if userID != "" {
		q.Set("user", userID)
	}
	return s.url + "/sso/integrations/partner/" + url.PathEscape(installationID) + "?" + q.Encode()
}

// handleOpenInProvider plays Vercel's side of Open in Provider: it checks
// the member, issues a single-use code and redirects to the partner.
func (s *Sim) handleOpenInProvider(w http.ResponseWriter, r *http.Request) {
	inst := r.PathValue("installationId")
	user := r.URL.Query().Get("user")
	if user == "" {
		user = DefaultAdminUserID
	}
	s.mu.Lock()
	target := s.redirectLoginURL
	in, ok := s.insts[inst]
	role := ""
	if ok {
		if m, found := in.members[user]; found {
			role = m.Role
		}
	}
	s.mu.Unlock()
	switch {
	case target == "":
		http.Error(w, "no Redirect Login URL configured", http.StatusConflict)
		return
	case !ok || role == "":
		http.Error(w, "not a member of this installation", http.StatusForbidden)
		return
	}
	code := s.IssueSSOCode(inst, user, role, nil)
	q := url.Values{}
	for _, k := range passThrough {
		if v := r.URL.Query().Get(k); v != "" {
			q.Set(k, v)
		}
	}
	base, _ := strings.CutSuffix(target, "/callback")
	http.Redirect(w, r, SSOCallbackURL(base, code, rand.Text(), q), http.StatusFound)
}

var homePage = template.Must(template.New("home").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Vercel simulator</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#111}
a.button{display:inline-block;background:#000;color:#fff;padding:.4rem .9rem;border-radius:6px;text-decoration:none;margin:.2rem 0}
li{margin:.6rem 0}code{background:#f3f3f3;padding:0 .25rem}</style></head><body>
<h1>Vercel simulator</h1>
<p>This page stands in for the Vercel dashboard. Each link plays Vercel's part of <b>Open in Provider</b>.</p>
<ul>{{range .}}<li><code>{{.ID}}</code> &middot; {{.Account}}<br>
{{range .Members}}<a class="button" href="{{.Link}}">Open as {{.Role}} {{.ID}}</a> {{end}}</li>{{else}}<li>No installations yet.</li>{{end}}</ul>
</body></html>`))

type homeMember struct{ ID, Role, Link string }

type homeInstallation struct {
	ID, Account string
	Members     []homeMember
}

// handleHome lists installations with Open in Provider links for each member.
func (s *Sim) handleHome(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	var list []homeInstallation
	for id, in := range s.insts {
		h := homeInstallation{ID: id, Account: in.Account.Name}
		for mid, m := range in.members {
			h.Members = append(h.Members, homeMember{ID: mid, Role: m.Role})
		}
		slices.SortFunc(h.Members, func(a, b homeMember) int { return strings.Compare(a.Role+a.ID, b.Role+b.ID) })
		list = append(list, h)
	}
	s.mu.Unlock()
	slices.SortFunc(list, func(a, b homeInstallation) int { return strings.Compare(a.ID, b.ID) })
	for i := range list {
		for j := range list[i].Members {
			list[i].Members[j].Link = s.OpenInProviderURL(list[i].ID, list[i].Members[j].ID, nil)
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	homePage.Execute(w, list)
}
