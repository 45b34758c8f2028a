package deployments

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// Types of the hook's requests (and, in feed mode, the events that stand
// for them).
const (
	TypeAction         = "deployment.action"
	TypeActionCancel   = "deployment.action_cancel"
	TypeActionCleanup  = "deployment.action_cleanup"
	TypeCheckRun       = "deployment.checkrun"
	TypeCheckRunCancel = "deployment.checkrun_cancel"
)

// feedEvents are the feed's stand-ins for the hook's requests.
var feedEvents = map[string]string{
	TypeAction:         installations.EventActionRequested,
	TypeActionCancel:   installations.EventActionCanceled,
	TypeActionCleanup:  installations.EventActionCleanupRequested,
	TypeCheckRun:       installations.EventCheckRunRequested,
	TypeCheckRunCancel: installations.EventCheckRunCanceled,
}

// requestType is the request asking what of job j: "start", "cancel" or
// "cleanup" (a check run has no cleanup; it is asked nothing then).
func requestType(j installations.DeploymentJob, what string) string {
	if j.Kind == installations.JobCheckRun {
		return map[string]string{"start": TypeCheckRun, "cancel": TypeCheckRunCancel}[what]
	}
	return map[string]string{"start": TypeAction, "cancel": TypeActionCancel, "cleanup": TypeActionCleanup}[what]
}

// Request is what the hook receives (and a feed event's data): the job,
// named as Vercel names it, with what the webhook said of the deployment.
type Request struct {
	Type           string          `json:"type"`
	JobID          string          `json:"jobId"`
	InstallationID string          `json:"installationId"`
	ResourceID     string          `json:"resourceId,omitempty"`
	DeploymentID   string          `json:"deploymentId"`
	Action         string          `json:"action,omitempty"`
	CheckRunID     string          `json:"checkRunId,omitempty"`
	CheckID        string          `json:"checkId,omitempty"`
	Deployment     json.RawMessage `json:"deployment,omitempty"`
	CheckRun       json.RawMessage `json:"checkRun,omitempty"`
}

// request is the request of type typ about job j.
func request(j installations.DeploymentJob, typ string) Request {
	var p struct {
		Deployment json.RawMessage `json:"deployment"`
		CheckRun   json.RawMessage `json:"checkRun"`
	}
	json.Unmarshal(j.Payload, &p)
	r := Request{Type: typ, JobID: j.ID, InstallationID: j.InstallationID, ResourceID: j.ResourceID,
		DeploymentID: j.DeploymentID, Deployment: p.Deployment}
	if j.Kind == installations.JobCheckRun {
		r.CheckRunID, r.CheckID, r.CheckRun = j.Name, j.CheckID, p.CheckRun
	} else {
		r.Action = j.Name
	}
	return r
}

// ask asks the partner's service for typ about job j, in the caller's
// transaction: a hook call for the worker, or a feed event.
func (s *Service) ask(ctx context.Context, tx installations.Tx, j installations.DeploymentJob, typ string) error {
	if typ == "" {
		return nil
	}
	req := request(j, typ)
	if s.Hook == nil {
		return tx.AppendEvent(ctx, installations.NewEvent{Type: feedEvents[typ], InstallationID: j.InstallationID,
			Subject: j.ID, Data: req})
	}
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("deployments: encode hook request: %w", err)
	}
	now := s.now()
	return tx.InsertDeploymentCall(ctx, installations.DeploymentCall{ID: "msg_" + rand.Text(), JobID: j.ID,
		InstallationID: j.InstallationID, Type: typ, Body: body, NextAttemptAt: now, Deadline: now.Add(s.opts.ActionTimeout)})
}

// errStale: the job changed between the read a decision was made from
// and its write; the decision is made again.
var errStale = apperr.New(apperr.Unavailable, "deployment_job_busy", "the action or check run changed meanwhile; try again")
