package vercelsim

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Deployment webhook types.
const (
	EventActionStart    = "deployment.integration.action.start"
	EventActionCancel   = "deployment.integration.action.cancel"
	EventActionCleanup  = "deployment.integration.action.cleanup"
	EventCheckRunStart  = "deployment.checkrun.start"
	EventCheckRunCancel = "deployment.checkrun.cancel"
)

// DefaultAction is the deployment action a preview runs unless told
// otherwise: the integration's "create a branch" step.
const DefaultAction = "create-branch"

// Deployment is a deployment Vercel made in the simulator, and what the
// integration reported for it.
type Deployment struct {
	ID             string
	InstallationID string
	ProjectID      string
	ProjectName    string
	Target         string // preview
	Branch         string // the git branch it builds
	URL            string
	CreatedAt      time.Time
	Canceled       bool
	CleanedUp      bool
	Actions        []*DeploymentAction
	CheckRuns      []*CheckRun
}

// DeploymentAction is one integration action of a deployment.
type DeploymentAction struct {
	ResourceID string
	Action     string
	Statuses   []ActionStatus // as the partner reported them, in order
	// Env is the environment the deployment got from the outcomes of the
	// action, as Vercel received them.
	Env []Secret
}

// ActionStatus is one updateIntegrationDeploymentAction received.
type ActionStatus struct {
	Status, StatusText, StatusURL string
	Time                          time.Time
}

// CheckRun is one check run of a deployment.
type CheckRun struct {
	ID, CheckID, ResourceID string
	Updates                 []CheckRunStatus // as the partner reported them, in order
}

// CheckRunStatus is one check-run update received.
type CheckRunStatus struct {
	Status, Conclusion, ExternalURL string
	Output                          map[string]any `json:",omitempty"`
	Time                            time.Time
}

// Last is the action's latest status ("" when none came yet).
func (a *DeploymentAction) Last() ActionStatus {
	if len(a.Statuses) == 0 {
		return ActionStatus{}
	}
	return a.Statuses[len(a.Statuses)-1]
}

func (a *DeploymentAction) final() bool {
	st := a.Last().Status
	return st == "succeeded" || st == "failed"
}

// Last is the check run's latest update.
func (c *CheckRun) Last() CheckRunStatus {
	if len(c.Updates) == 0 {
		return CheckRunStatus{}
	}
	return c.Updates[len(c.Updates)-1]
}

func (c *CheckRun) final() bool { return c.Last().Status == "completed" }

// State is what Vercel's dashboard says of the deployment: canceled,
// blocked while an action or check run is open, error when one failed,
// else ready.
func (d *Deployment) State() string {
	if d.Canceled {
		return "canceled"
	}
	state := "ready"
	for _, a := range d.Actions {
		switch {
		case a.Last().Status == "failed":
			return "error"
		case !a.final():
			state = "blocked"
		}
	}
	for _, c := range d.CheckRuns {
		switch last := c.Last(); {
		case last.Status == "completed" && last.Conclusion != "succeeded" && last.Conclusion != "neutral" && last.Conclusion != "skipped":
			return "error"
		case last.Status != "completed":
			state = "blocked"
		}
	}
	return state
}

// DeployOptions shape a preview deployment.
type DeployOptions struct {
	Action     string // the action each connected resource runs; default DefaultAction
	NoAction   bool   // send no action webhooks
	NoCheckRun bool   // send no check-run webhooks
	Branch     string // default "feature/preview"
}

// connect records a project connected to a resource (or disconnected);
// callers hold s.mu.
func (in *installation) connect(resourceID string, p Project, connected bool) {
	if in.projects == nil {
		in.projects = map[string]*ConnectedProject{}
	}
	cp := in.projects[p.ID]
	if cp == nil {
		cp = &ConnectedProject{ID: p.ID}
		in.projects[p.ID] = cp
	}
	cp.Name = cmpOr(p.Name, cmpOr(cp.Name, strings.TrimPrefix(p.ID, "prj_")))
	cp.Resources = slices.DeleteFunc(cp.Resources, func(r string) bool { return r == resourceID })
	if connected {
		cp.Resources = append(cp.Resources, resourceID)
	}
	if len(cp.Resources) == 0 {
		delete(in.projects, p.ID)
	}
}

// ConnectedProject is a Vercel project with the resources connected to it.
type ConnectedProject struct {
	ID, Name  string
	Resources []string
}

// Projects lists the installation's projects that have resources
// connected (through the project-connected webhook), by id.
func (s *Sim) Projects(installationID string) []ConnectedProject {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.inst(installationID)
	var out []ConnectedProject
	for _, id := range slices.Sorted(maps.Keys(in.projects)) {
		p := *in.projects[id]
		p.Resources = slices.Clone(p.Resources)
		out = append(out, p)
	}
	return out
}

// DeployPreview makes a preview deployment of a project connected to the
// installation's resources and sends to webhookURL what Vercel sends: a
// deployment.integration.action.start for each connected resource and a
// deployment.checkrun.start for each. It returns the deployment as
// created (follow it with Deployment).
func (s *Sim) DeployPreview(ctx context.Context, webhookURL, installationID, projectID string, o DeployOptions) (Deployment, error) {
	s.mu.Lock()
	p := s.inst(installationID).projects[projectID]
	if p == nil {
		s.mu.Unlock()
		return Deployment{}, fmt.Errorf("vercelsim: project %s is connected to no resource of %s", projectID, installationID)
	}
	branch := cmpOr(o.Branch, "feature/preview")
	id := newID("dpl_")
	d := &Deployment{ID: id, InstallationID: installationID, ProjectID: p.ID, ProjectName: p.Name, Target: "preview",
		Branch: branch, URL: strings.ToLower(p.Name+"-"+id[4:13]) + ".vercel.app", CreatedAt: s.now()}
	var events []WebhookEvent
	for _, rid := range p.Resources {
		if !o.NoAction {
			a := &DeploymentAction{ResourceID: rid, Action: cmpOr(o.Action, DefaultAction)}
			d.Actions = append(d.Actions, a)
			events = append(events, s.actionEvent(EventActionStart, d, a))
		}
		if !o.NoCheckRun {
			c := &CheckRun{ID: newID("chkrun_"), CheckID: "chk_" + hexID(p.ID+"/"+rid), ResourceID: rid}
			d.CheckRuns = append(d.CheckRuns, c)
			events = append(events, s.checkRunEvent(EventCheckRunStart, d, c))
		}
	}
	s.deployments = appendCapped(s.deployments, d)
	s.mu.Unlock()
	return s.snapshot(id), s.sendAll(ctx, webhookURL, events)
}

// CancelDeployment cancels a deployment as a person does in Vercel's
// dashboard: the open actions and check runs get their cancel webhooks,
// and Vercel takes no status for them any more.
func (s *Sim) CancelDeployment(ctx context.Context, webhookURL, deploymentID string) error {
	s.mu.Lock()
	d := s.deployment(deploymentID)
	if d == nil || d.Canceled {
		s.mu.Unlock()
		return fmt.Errorf("vercelsim: no deployment %s to cancel", deploymentID)
	}
	d.Canceled = true
	var events []WebhookEvent
	for _, a := range d.Actions {
		if !a.final() {
			events = append(events, s.actionEvent(EventActionCancel, d, a))
		}
	}
	for _, c := range d.CheckRuns {
		if !c.final() {
			events = append(events, s.checkRunEvent(EventCheckRunCancel, d, c))
		}
	}
	s.mu.Unlock()
	return s.sendAll(ctx, webhookURL, events)
}

// CleanupDeployment removes a deployment (as Vercel does with old
// previews): each action gets deployment.integration.action.cleanup.
func (s *Sim) CleanupDeployment(ctx context.Context, webhookURL, deploymentID string) error {
	s.mu.Lock()
	d := s.deployment(deploymentID)
	if d == nil || d.CleanedUp {
		s.mu.Unlock()
		return fmt.Errorf("vercelsim: no deployment %s to clean up", deploymentID)
	}
	d.CleanedUp = true
	var events []WebhookEvent
	for _, a := range d.Actions {
		events = append(events, s.actionEvent(EventActionCleanup, d, a))
	}
	s.mu.Unlock()
	return s.sendAll(ctx, webhookURL, events)
}

func (s *Sim) sendAll(ctx context.Context, webhookURL string, events []WebhookEvent) error {
	for _, ev := range events {
		status, err := s.DeliverWebhook(ctx, webhookURL, ev)
		if err == nil && status/100 != 2 {
			err = fmt.Errorf("the partner answered %d", status)
		}
		if err != nil {
			return fmt.Errorf("vercelsim: send %s: %w", ev.Type, err)
		}
	}
	return nil
}

// deploymentPayload is what every deployment webhook says of it.
func deploymentPayload(d *Deployment) map[string]any {
	return map[string]any{"id": d.ID, "name": d.ProjectName, "url": d.URL, "target": d.Target,
		"meta": map[string]any{"githubCommitRef": d.Branch}}
}

// actionEvent is a deployment.integration.action.* event; callers hold s.mu.
func (s *Sim) actionEvent(typ string, d *Deployment, a *DeploymentAction) WebhookEvent {
	return s.CustomEvent(typ, map[string]any{
		"team":           map[string]any{"id": "team_" + AccountHex(d.InstallationID)},
		"user":           map[string]any{"id": DefaultAdminUserID},
		"installationId": d.InstallationID,
		"configuration":  map[string]any{"id": d.InstallationID},
		"resourceId":     a.ResourceID,
		"action":         a.Action,
		"deployment":     deploymentPayload(d),
		"project":        map[string]any{"id": d.ProjectID},
	})
}

// checkRunEvent is a deployment.checkrun.* event; callers hold s.mu.
func (s *Sim) checkRunEvent(typ string, d *Deployment, c *CheckRun) WebhookEvent {
	return s.CustomEvent(typ, map[string]any{
		"team": map[string]any{"id": "team_" + AccountHex(d.InstallationID)},
		"checkRun": map[string]any{"id": c.ID, "checkId": c.CheckID, "deploymentId": d.ID, "timeout": 600,
			"source": map[string]any{"kind": "integration", "integrationConfigurationId": d.InstallationID,
				"externalResourceId": c.ResourceID}},
		"deployment": deploymentPayload(d),
		"project":    map[string]any{"id": d.ProjectID},
	})
}

// deployment finds one; callers hold s.mu.
func (s *Sim) deployment(id string) *Deployment {
	for _, d := range s.deployments {
		if d.ID == id {
			return d
		}
	}
	return nil
}

// Deployment returns a deployment as it stands.
func (s *Sim) Deployment(id string) (Deployment, bool) {
	d := s.snapshot(id)
	return d, d.ID != ""
}

// Deployments lists the installation's deployments, newest first.
func (s *Sim) Deployments(installationID string) []Deployment {
	s.mu.Lock()
	var ids []string
	for _, d := range s.deployments {
		if d.InstallationID == installationID {
			ids = append(ids, d.ID)
		}
	}
	s.mu.Unlock()
	var out []Deployment
	for _, id := range slices.Backward(ids) {
		out = append(out, s.snapshot(id))
	}
	return out
}

// snapshot copies a deployment deeply enough to read without the lock.
func (s *Sim) snapshot(id string) Deployment {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.deployment(id)
	if d == nil {
		return Deployment{}
	}
	out := *d
	out.Actions, out.CheckRuns = nil, nil
	for _, a := range d.Actions {
		c := *a
		c.Statuses, c.Env = slices.Clone(a.Statuses), slices.Clone(a.Env)
		out.Actions = append(out.Actions, &c)
	}
	for _, r := range d.CheckRuns {
		c := *r
		c.Updates = slices.Clone(r.Updates)
		out.CheckRuns = append(out.CheckRuns, &c)
	}
	return out
}
