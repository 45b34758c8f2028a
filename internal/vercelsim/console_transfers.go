package vercelsim

import (
	"crypto/rand"
	"net/http"
	"net/url"
)

// The console's moving resources: a transfer to another team's
// installation (Claim Deployments) and the partner's Import Resource URL.

// transferTarget is an installation a resource may move to.
type transferTarget struct{ ID, Account string }

// transferTargets are the live installations other than id.
func (s *Sim) transferTargets(id string) []transferTarget {
	var out []transferTarget
	for _, other := range s.InstallationIDs() {
		st, _ := s.Installation(other)
		if other == id || st.AccessToken == "" || st.PendingDeletion || st.Finalized {
			continue
		}
		out = append(out, transferTarget{ID: other, Account: cmpOr(st.Account.Name, other)})
	}
	return out
}

func (s *Sim) postTransfer(r *http.Request) (flash, string) {
	inst, rid, to := r.PathValue("id"), r.PathValue("rid"), r.PostFormValue("to")
	name := s.resourceName(inst, rid)
	base, err := s.partner()
	if err != nil {
		return problem("Could not transfer %s: %v.", name, err), "resources"
	}
	msg, err := s.Transfer(r.Context(), base, inst, to, []string{rid})
	if err != nil {
		text, detail := splitAnswer(err.Error())
		return flash{Text: "Could not transfer " + name + ": " + text + ".", Detail: detail, Failed: true}, "resources"
	}
	who := to
	if st, ok := s.Installation(to); ok && st.Account.Name != "" {
		who = st.Account.Name
	}
	return note("Transferred %s to %s: %s.", name, who, msg), "resources"
}

// importLink is where "Import resource" sends the browser: the partner's
// Import Resource URL with Vercel's query, and a state the return must
// bring back. "" when no import URL is configured.
func (s *Sim) importLink(installationID string) string {
	cfg := s.consoleConfig()
	if cfg.ImportURL == "" {
		return ""
	}
	state := rand.Text()
	s.console.mu.Lock()
	if s.console.states == nil {
		s.console.states = map[string]string{}
	}
	if len(s.console.states) >= maxFlashes {
		clear(s.console.states)
	}
	s.console.states[state] = installationID
	s.console.mu.Unlock()
	q := url.Values{"installation_id": {installationID}, "state": {state}, "return": {s.url + "/import/return"}}
	if len(cfg.Products) > 0 {
		q.Set("product_id", cfg.Products[0])
	}
	return cfg.ImportURL + "?" + q.Encode()
}

// handleImportReturn is where the partner's import page sends the browser
// back: ?installation_id&resource_id&state, the state being the one the
// link carried.
func (s *Sim) handleImportReturn(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	inst, rid, state := q.Get("installation_id"), q.Get("resource_id"), q.Get("state")
	s.console.mu.Lock()
	want, ok := s.console.states[state]
	delete(s.console.states, state)
	s.console.mu.Unlock()
	var f flash
	switch res, known := s.Resource(inst, rid); {
	case !ok || want != inst:
		f = problem("The import came back with a state this page did not send; nothing was imported.")
	case !known:
		f = problem("The partner sent you back, but Vercel has no resource %s: importResource did not reach it.", rid)
	default:
		f = note("Imported %s (%s) from the partner: Vercel received importResource before the redirect.", quote(res.Name), cmpOr(res.Ownership, "owned"))
	}
	http.Redirect(w, r, "/?flash="+s.saveFlash(f)+"#resources", http.StatusSeeOther)
}
