package vercelsim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// The console's deployments: the projects connected to resources, with
// "Deploy a preview", and each deployment with what the integration
// reported for it (statuses, env vars from the outcomes, check runs).

type projectView struct {
	ConnectedProject
	ResourceNames []string
}

type deploymentView struct {
	Deployment
	State                 string
	Actions               []actionStatusView
	CheckRuns             []checkRunView
	CancelURL, CleanupURL string
}

type actionStatusView struct {
	*DeploymentAction
	ResourceName string
}

type checkRunView struct {
	*CheckRun
	ResourceName string
	Link         string // the externalUrl to click: an sso: link goes through Open in Provider
	Output       string
}

func (s *Sim) deploymentsView(id string) ([]projectView, []deploymentView) {
	var projects []projectView
	for _, p := range s.Projects(id) {
		v := projectView{ConnectedProject: p}
		for _, rid := range p.Resources {
			v.ResourceNames = append(v.ResourceNames, s.resourceName(id, rid))
		}
		projects = append(projects, v)
	}
	var deployments []deploymentView
	for _, d := range s.Deployments(id) {
		v := deploymentView{Deployment: d, State: d.State(), CancelURL: consoleURL(id, "deployments", d.ID, "cancel"),
			CleanupURL: consoleURL(id, "deployments", d.ID, "cleanup")}
		for _, a := range d.Actions {
			v.Actions = append(v.Actions, actionStatusView{DeploymentAction: a, ResourceName: s.resourceName(id, a.ResourceID)})
		}
		for _, c := range d.CheckRuns {
			cv := checkRunView{CheckRun: c, ResourceName: s.resourceName(id, c.ResourceID), Link: s.followLink(id, c.Last().ExternalURL)}
			if out := c.Last().Output; out != nil {
				b, _ := json.MarshalIndent(out, "", "  ")
				cv.Output = string(b)
			}
			v.CheckRuns = append(v.CheckRuns, cv)
		}
		deployments = append(deployments, v)
	}
	return projects, deployments
}

// followLink is where a click on a link the partner sent goes: an sso:
// link runs "Open in Provider" with the target as url (a relative one is
// on the partner's site), anything else is itself.
func (s *Sim) followLink(installationID, link string) string {
	target, sso := strings.CutPrefix(link, "sso:")
	if !sso {
		return link
	}
	if strings.HasPrefix(target, "/") {
		target = strings.TrimRight(s.consoleConfig().PartnerURL, "/") + target
	}
	return s.OpenInProviderURL(installationID, DefaultAdminUserID, url.Values{"url": {target}})
}

func (s *Sim) postDeploy(r *http.Request) (flash, string) {
	inst, project := r.PathValue("id"), r.PostFormValue("project")
	target := s.consoleConfig().WebhookURL
	if target == "" {
		return problem("Could not deploy: no webhook URL is configured."), "deployments"
	}
	d, err := s.DeployPreview(r.Context(), target, inst, project, DeployOptions{})
	if err != nil {
		return problem("Could not deploy a preview of %s: %v.", project, err), "deployments"
	}
	return note("Deployed a preview of %s (%s): the integration was asked for %d actions and %d check runs; the deployment waits for them.",
		d.ProjectName, d.ID, len(d.Actions), len(d.CheckRuns)), "deployments"
}

func (s *Sim) postCancelDeployment(r *http.Request) (flash, string) {
	if err := s.CancelDeployment(r.Context(), s.consoleConfig().WebhookURL, r.PathValue("did")); err != nil {
		return problem("Could not cancel %s: %v.", r.PathValue("did"), err), "deployments"
	}
	return note("Canceled %s: the integration was told, and Vercel takes no more statuses for it.", r.PathValue("did")), "deployments"
}

func (s *Sim) postCleanupDeployment(r *http.Request) (flash, string) {
	if err := s.CleanupDeployment(r.Context(), s.consoleConfig().WebhookURL, r.PathValue("did")); err != nil {
		return problem("Could not clean up %s: %v.", r.PathValue("did"), err), "deployments"
	}
	return note("Cleaned up %s: the integration was told, e.g. to drop its branch.", r.PathValue("did")), "deployments"
}
