package vercelsim

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// handleUpdateDeploymentAction is updateIntegrationDeploymentAction: a
// status (with outcomes) of an action the deployment is waiting for.
// Unknown deployment or action: 404; an action that ended or a canceled
// deployment: 409.
func (s *Sim) handleUpdateDeploymentAction(w http.ResponseWriter, r *http.Request, in *installation) {
	body, _, ok := readBody(w, r, updateDeploymentActionBody)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.deployment(r.PathValue("deploymentId"))
	var a *DeploymentAction
	if d != nil && d.InstallationID == in.ID {
		for _, x := range d.Actions {
			if x.ResourceID == r.PathValue("resourceId") && x.Action == r.PathValue("action") {
				a = x
			}
		}
	}
	switch {
	case a == nil:
		writeError(w, http.StatusNotFound, "not_found", "no action "+r.PathValue("action")+" of resource "+
			r.PathValue("resourceId")+" in deployment "+r.PathValue("deploymentId"))
		return
	case d.Canceled:
		writeError(w, http.StatusConflict, "conflict", "the deployment was canceled")
		return
	case a.final():
		writeError(w, http.StatusConflict, "conflict", "the action already "+a.Last().Status)
		return
	}
	st := ActionStatus{Time: s.now()}
	st.Status, _ = body["status"].(string)
	st.StatusText, _ = body["statusText"].(string)
	st.StatusURL, _ = body["statusUrl"].(string)
	a.Statuses = append(a.Statuses, st)
	for _, o := range asList(body["outcomes"]) {
		if m, ok := o.(map[string]any); ok {
			a.Env = mergeSecrets(a.Env, secretsFromJSON(asList(m["secrets"])), true)
		}
	}
	writeEmpty(w, http.StatusAccepted)
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// handleUpdateCheckRun is the check-run update. Its path names no
// installation: the bearer must be the token of the installation whose
// check the run is. A completed run needs a conclusion (400).
func (s *Sim) handleUpdateCheckRun(w http.ResponseWriter, r *http.Request) {
	body, _, ok := readBody(w, r, updateCheckRunBody)
	if !ok {
		return
	}
	if body["status"] == "completed" && body["conclusion"] == nil {
		badRequest(w, "conclusion: is required when status is completed")
		return
	}
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		writeError(w, http.StatusUnauthorized, "forbidden", "missing bearer token")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.deployment(r.PathValue("deploymentId"))
	var c *CheckRun
	var in *installation
	if d != nil {
		in = s.insts[d.InstallationID]
		for _, x := range d.CheckRuns {
			if x.ID == r.PathValue("checkRunId") {
				c = x
			}
		}
	}
	switch {
	case d == nil:
		writeError(w, http.StatusNotFound, "not_found", "deployment "+r.PathValue("deploymentId")+" not found")
		return
	case in == nil || in.AccessToken == "" || in.Finalized ||
		subtle.ConstantTimeCompare([]byte(token), []byte(in.AccessToken)) != 1:
		writeError(w, http.StatusUnauthorized, "forbidden", "the token may not update this deployment's check runs")
		return
	case c == nil:
		writeError(w, http.StatusNotFound, "not_found", "no check run "+r.PathValue("checkRunId")+" in deployment "+d.ID)
		return
	case d.Canceled:
		writeError(w, http.StatusConflict, "conflict", "the deployment was canceled")
		return
	case c.final():
		writeError(w, http.StatusConflict, "conflict", "the check run already completed")
		return
	}
	st := CheckRunStatus{Time: s.now()}
	st.Status, _ = body["status"].(string)
	st.Conclusion, _ = body["conclusion"].(string)
	st.ExternalURL, _ = body["externalUrl"].(string)
	st.Output, _ = body["output"].(map[string]any)
	c.Updates = append(c.Updates, st)
	writeJSON(w, http.StatusOK, map[string]any{"id": c.ID, "checkId": c.CheckID, "deploymentId": d.ID,
		"status": st.Status, "conclusion": st.Conclusion, "externalUrl": st.ExternalURL})
}
