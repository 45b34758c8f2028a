package internalapi

import (
	"encoding/json"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/handlers"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// jobView is a deployment action or check run as the internal API shows
// it: its state and what Vercel made of its statuses, never a secret value.
type jobView struct {
	ID          string          `json:"id"`
	ResourceID  string          `json:"resourceId,omitempty"`
	Action      string          `json:"action,omitempty"`
	CheckRunID  string          `json:"checkRunId,omitempty"`
	CheckID     string          `json:"checkId,omitempty"`
	State       string          `json:"state"`
	Conclusion  string          `json:"conclusion,omitempty"`
	StatusText  string          `json:"statusText,omitempty"`
	StatusURL   string          `json:"statusUrl,omitempty"`
	ExternalURL string          `json:"externalUrl,omitempty"`
	Output      json.RawMessage `json:"output,omitempty"`
	SecretNames []string        `json:"secretNames"`
	Mode        string          `json:"mode"`
	Vercel      vercelView      `json:"vercel"`
	Deadline    string          `json:"deadline"`
	CreatedAt   string          `json:"createdAt"`
	UpdatedAt   string          `json:"updatedAt"`
	FinishedAt  string          `json:"finishedAt,omitempty"`
}

// vercelView is what Vercel made of the job's statuses: the last one it
// took, and why it refused one (or why it cannot be told).
type vercelView struct {
	Reported string `json:"reported,omitempty"`
	Error    string `json:"error,omitempty"`
}

func viewJob(j installations.DeploymentJob) jobView {
	v := jobView{ID: j.ID, ResourceID: j.ResourceID, State: j.State, Conclusion: j.Conclusion, StatusText: j.StatusText,
		Output: j.Output, SecretNames: j.SecretNames, Mode: j.Mode, Vercel: vercelView{Reported: j.Reported, Error: j.ReportError},
		Deadline: rfc3339(j.Deadline), CreatedAt: rfc3339(j.CreatedAt), UpdatedAt: rfc3339(j.UpdatedAt)}
	if j.Kind == installations.JobCheckRun {
		v.CheckRunID, v.CheckID, v.ExternalURL = j.Name, j.CheckID, j.URL
	} else {
		v.Action, v.StatusURL = j.Name, j.URL
	}
	if v.SecretNames == nil {
		v.SecretNames = []string{}
	}
	if j.FinishedAt != nil {
		v.FinishedAt = rfc3339(*j.FinishedAt)
	}
	return v
}

// handleGetDeployment lists a deployment's actions and check runs.
//
// GET /internal/v1/installations/{installationId}/deployments/{deploymentId}
func (a *API) handleGetDeployment(w http.ResponseWriter, r *http.Request) {
	jobs, err := a.Deployments.Deployment(r.Context(), chi.URLParam(r, "installationId"), chi.URLParam(r, "deploymentId"))
	if err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	out := struct {
		DeploymentID string    `json:"deploymentId"`
		Actions      []jobView `json:"actions"`
		CheckRuns    []jobView `json:"checkRuns"`
	}{DeploymentID: chi.URLParam(r, "deploymentId"), Actions: []jobView{}, CheckRuns: []jobView{}}
	for _, j := range jobs {
		if j.Kind == installations.JobCheckRun {
			out.CheckRuns = append(out.CheckRuns, viewJob(j))
		} else {
			out.Actions = append(out.Actions, viewJob(j))
		}
	}
	handlers.WriteJSON(w, http.StatusOK, out)
}

// handleCompleteAction reports an action's status; the body is Vercel's
// updateIntegrationDeploymentAction body.
//
// PATCH /internal/v1/installations/{installationId}/deployments/{deploymentId}/actions/{resourceId}/{action}
func (a *API) handleCompleteAction(w http.ResponseWriter, r *http.Request) {
	var u vercelapi.DeploymentActionUpdate
	if err := decodeStrict(r, &u); err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	j, d, err := a.Deployments.CompleteAction(r.Context(), handlers.IdempotencyKey(r), chi.URLParam(r, "installationId"),
		chi.URLParam(r, "deploymentId"), chi.URLParam(r, "resourceId"), chi.URLParam(r, "action"), &u)
	a.writeJob(w, r, "action", j, d, err)
}

// handleCompleteCheckRun reports a check run's status; the body is the
// check-run update Vercel takes.
//
// PATCH /internal/v1/installations/{installationId}/deployments/{deploymentId}/check-runs/{checkRunId}
func (a *API) handleCompleteCheckRun(w http.ResponseWriter, r *http.Request) {
	var u vercelapi.CheckRunUpdate
	if err := decodeStrict(r, &u); err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	j, d, err := a.Deployments.CompleteCheckRun(r.Context(), handlers.IdempotencyKey(r), chi.URLParam(r, "installationId"),
		chi.URLParam(r, "deploymentId"), chi.URLParam(r, "checkRunId"), &u)
	a.writeJob(w, r, "checkRun", j, d, err)
}

// writeJob answers a completion like a forwarded write, with the job.
func (a *API) writeJob(w http.ResponseWriter, r *http.Request, name string, j installations.DeploymentJob, d deliveries.Delivery, err error) {
	var extra map[string]any
	if j.ID != "" {
		extra = map[string]any{name: viewJob(j)}
	}
	a.writeDelivery(w, r, d, err, extra)
}
