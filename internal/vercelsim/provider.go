package vercelsim

import (
	"crypto/rand"
	"net/http"
	"net/url"
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
