package vercelapi

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// Deployment action statuses.
const (
	ActionRunning   = "running"
	ActionSucceeded = "succeeded"
	ActionFailed    = "failed"
)

// ActionStatuses are the statuses updateIntegrationDeploymentAction takes.
var ActionStatuses = []string{ActionRunning, ActionSucceeded, ActionFailed}

// Check run statuses and conclusions.
const (
	CheckRunQueued    = "queued"
	CheckRunRunning   = "running"
	CheckRunCompleted = "completed"
)

// CheckRunStatuses and CheckRunConclusions are what a check-run update takes.
var (
	CheckRunStatuses    = []string{CheckRunQueued, CheckRunRunning, CheckRunCompleted}
	CheckRunConclusions = []string{"succeeded", "failed", "neutral", "skipped", "canceled", "timeout"}
)

// OutcomeResourceSecrets is the one kind of deployment action outcome:
// secrets (environment variables) for that deployment only.
const OutcomeResourceSecrets = "resource-secrets"

// SecretName is what an environment variable's name may look like.
var SecretName = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)

// maxLinkLen bounds statusUrl and externalUrl.
const maxLinkLen = 2048

// DeploymentActionUpdate is updateIntegrationDeploymentAction's body: the
// action's status and, usually with succeeded, secrets for the deployment.
type DeploymentActionUpdate struct {
	Status     string              `json:"status" vercel:"required"` // running | succeeded | failed
	StatusText string              `json:"statusText,omitempty"`
	StatusURL  string              `json:"statusUrl,omitempty"` // https://... or sso:...
	Outcomes   []DeploymentOutcome `json:"outcomes,omitempty"`
}

// DeploymentOutcome is what an action produced for the deployment.
type DeploymentOutcome struct {
	Kind    string          `json:"kind" vercel:"required"` // resource-secrets
	Secrets []OutcomeSecret `json:"secrets" vercel:"required"`
}

// OutcomeSecret is one environment variable an action gives the deployment.
type OutcomeSecret struct {
	Name  string `json:"name" vercel:"required"`
	Value string `json:"value" vercel:"required"`
}

// Validate checks u against Vercel's schema, and that secret names are
// environment variable names and the link is https or sso:.
func (u *DeploymentActionUpdate) Validate() error {
	if u == nil {
		return nilBody()
	}
	v := &validator{}
	v.oneOf("status", u.Status, true, ActionStatuses...)
	v.link("statusUrl", u.StatusURL)
	for i, o := range u.Outcomes {
		path := index("outcomes", i)
		v.oneOf(join(path, "kind"), o.Kind, true, OutcomeResourceSecrets)
		if o.Secrets == nil {
			v.add(join(path, "secrets"), "required")
		}
		for j, s := range o.Secrets {
			at := index(join(path, "secrets"), j)
			if !SecretName.MatchString(s.Name) {
				v.add(join(at, "name"), "must match ^[A-Z_][A-Z0-9_]*$")
			}
			v.required(join(at, "value"), s.Value)
		}
	}
	return v.err()
}

// link checks an optional https:// URL or sso: link.
func (v *validator) link(key, s string) {
	if s != "" && !ValidLink(s) {
		v.add(key, "must be an https:// URL or an sso: link")
	}
}

// ValidLink reports whether s is an absolute https URL, or an sso: link
// (sso: before an http(s) URL or an absolute path), which Vercel opens
// through "Open in Provider".
func ValidLink(s string) bool {
	if len(s) > maxLinkLen || strings.ContainsAny(s, " \t\r\n\\") {
		return false
	}
	target, sso := strings.CutPrefix(s, "sso:")
	if sso && strings.HasPrefix(target, "/") && !strings.HasPrefix(target, "//") {
		return true
	}
	u, err := url.Parse(target)
	if err != nil || u.Host == "" || u.User != nil {
		return false
	}
	return u.Scheme == "https" || sso && u.Scheme == "http"
}

// UpdateDeploymentAction reports the status (and outcomes) of the action
// Vercel started with deployment.integration.action.start. Vercel answers
// 202 without a body.
//
// PATCH /v1/deployments/{deploymentId}/integrations/{installationId}/resources/{resourceId}/actions/{action}
func (c *Client) UpdateDeploymentAction(ctx context.Context, token, installationID, deploymentID, resourceID, action string, u *DeploymentActionUpdate) error {
	if err := checkCall(token, []string{"installationId", installationID, "deploymentId", deploymentID,
		"resourceId", resourceID, "action", action}, u); err != nil {
		return err
	}
	r, err := newRequest(http.MethodPatch, pathf("/v1/deployments/%s/integrations/%s/resources/%s/actions/%s",
		deploymentID, installationID, resourceID, action), token, u, nil)
	if err != nil {
		return err
	}
	return c.do(ctx, r)
}

// CheckRunUpdate is a check-run update's body.
type CheckRunUpdate struct {
	Status      string         `json:"status" vercel:"required"` // queued | running | completed
	Conclusion  string         `json:"conclusion,omitempty"`     // required with completed
	ExternalID  string         `json:"externalId,omitempty"`
	ExternalURL string         `json:"externalUrl,omitempty"` // https://... or sso:...
	Output      map[string]any `json:"output,omitempty"`
}

// Validate checks u against Vercel's schema: a completed run has a
// conclusion, the link is https or sso:.
func (u *CheckRunUpdate) Validate() error {
	if u == nil {
		return nilBody()
	}
	v := &validator{}
	v.oneOf("status", u.Status, true, CheckRunStatuses...)
	v.oneOf("conclusion", u.Conclusion, u.Status == CheckRunCompleted, CheckRunConclusions...)
	v.link("externalUrl", u.ExternalURL)
	return v.err()
}

// UpdateCheckRun reports the status (and, once completed, the conclusion)
// of the check run Vercel started with deployment.checkrun.start.
//
// PATCH /v2/deployments/{deploymentId}/check-runs/{checkRunId}
func (c *Client) UpdateCheckRun(ctx context.Context, token, deploymentID, checkRunID string, u *CheckRunUpdate) error {
	if err := checkCall(token, []string{"deploymentId", deploymentID, "checkRunId", checkRunID}, u); err != nil {
		return err
	}
	r, err := newRequest(http.MethodPatch, pathf("/v2/deployments/%s/check-runs/%s", deploymentID, checkRunID), token, u, nil)
	if err != nil {
		return err
	}
	return c.do(ctx, r)
}
