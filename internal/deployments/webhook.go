package deployments

import (
	"context"
	"crypto/rand"
	"encoding/json"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// Effect is what a deployment webhook changes, run in the transaction
// that stores the event (nil for other types). A start records a job
// (and, in hook mode, the hook call it needs); a redelivery never gets
// here and a second start of the same job finds it and does nothing. A
// start for an unknown installation or resource records the job failed,
// so the deployment is told at once rather than left to time out.
func (s *Service) Effect(ev installations.WebhookEvent) installations.LocalChange {
	switch ev.Type {
	case installations.WebhookActionStart, installations.WebhookCheckRunStart:
		return s.startJob(ev)
	case installations.WebhookActionCancel, installations.WebhookCheckRunCancel:
		return s.cancel(ev)
	case installations.WebhookActionCleanup:
		return s.cleanup(ev)
	}
	return nil
}

// actionPayload is deployment.integration.action.*'s payload.
type actionPayload struct {
	InstallationID string          `json:"installationId"`
	ResourceID     string          `json:"resourceId"`
	Action         string          `json:"action"`
	Deployment     json.RawMessage `json:"deployment"`
	Configuration  struct {
		ID string `json:"id"`
	} `json:"configuration"`
}

// checkRunPayload is deployment.checkrun.*'s payload.
type checkRunPayload struct {
	CheckRun   json.RawMessage `json:"checkRun"`
	Deployment json.RawMessage `json:"deployment"`
}

type checkRun struct {
	ID           string `json:"id"`
	CheckID      string `json:"checkId"`
	DeploymentID string `json:"deploymentId"`
	Source       struct {
		IntegrationConfigurationID string `json:"integrationConfigurationId"`
		ExternalResourceID         string `json:"externalResourceId"`
	} `json:"source"`
}

// jobOf reads the job an event is about, unsaved (ok false when the
// payload does not name one well enough to act on, or even to answer).
func (s *Service) jobOf(ev installations.WebhookEvent) (installations.DeploymentJob, bool) {
	now := s.now()
	j := installations.DeploymentJob{ID: "dpj_" + rand.Text(), State: installations.JobRequested, Mode: s.mode(),
		Deadline: now.Add(s.opts.ActionTimeout), CreatedAt: now, UpdatedAt: now, SecretNames: []string{}}
	var deployment struct {
		ID string `json:"id"`
	}
	if ev.Type == installations.WebhookCheckRunStart || ev.Type == installations.WebhookCheckRunCancel {
		var p checkRunPayload
		var run checkRun
		if json.Unmarshal(ev.Payload, &p) != nil || json.Unmarshal(p.CheckRun, &run) != nil {
			return j, false
		}
		json.Unmarshal(p.Deployment, &deployment)
		j.Kind, j.InstallationID, j.ResourceID = installations.JobCheckRun, run.Source.IntegrationConfigurationID, run.Source.ExternalResourceID
		j.DeploymentID = firstOf(run.DeploymentID, deployment.ID)
		j.Name, j.CheckID = run.ID, run.CheckID
		j.Payload, _ = json.Marshal(map[string]json.RawMessage{"checkRun": p.CheckRun, "deployment": orEmpty(p.Deployment)})
		return j, validIDs(j.InstallationID, j.DeploymentID, j.Name) && (j.ResourceID == "" || validIDs(j.ResourceID)) &&
			(j.CheckID == "" || validIDs(j.CheckID))
	}
	var p actionPayload
	if json.Unmarshal(ev.Payload, &p) != nil {
		return j, false
	}
	json.Unmarshal(p.Deployment, &deployment)
	j.Kind, j.InstallationID, j.ResourceID = installations.JobAction, firstOf(p.InstallationID, p.Configuration.ID), p.ResourceID
	j.DeploymentID, j.Name = deployment.ID, p.Action
	j.Payload, _ = json.Marshal(map[string]json.RawMessage{"deployment": orEmpty(p.Deployment)})
	return j, validIDs(j.InstallationID, j.DeploymentID, j.ResourceID, j.Name)
}

func validIDs(ids ...string) bool {
	for _, id := range ids {
		if installations.CheckID("id", id) != nil {
			return false
		}
	}
	return true
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func orEmpty(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || raw[0] != '{' {
		return json.RawMessage("{}")
	}
	return raw
}

func (s *Service) startJob(ev installations.WebhookEvent) installations.LocalChange {
	return func(ctx context.Context, tx installations.Tx) error {
		j, ok := s.jobOf(ev)
		if !ok {
			s.Log.WarnContext(ctx, "deployment webhook without usable ids; only stored", "event_id", ev.ID, "type", ev.Type)
			return nil
		}
		return s.start(ctx, tx, ev, j)
	}
}

// start records a new job, failed at once when it cannot run, then asks
// for it: a hook call or a feed event.
func (s *Service) start(ctx context.Context, tx installations.Tx, ev installations.WebhookEvent, j installations.DeploymentJob) error {
	if why, reportable, err := s.cannotRun(ctx, tx, j); err != nil {
		return err
	} else if why != "" {
		j = j.Fail(why, "failed", j.CreatedAt)
		j.ReportDue, j.Mode = reportable, installations.ModeNone
		if !reportable {
			j.ReportError = why + ": Vercel cannot be told without the installation's token"
		}
		s.Log.WarnContext(ctx, "deployment job cannot run", "event_id", ev.ID, "installation_id", j.InstallationID,
			"kind", j.Kind, "reason", why)
	}
	stored, created, err := tx.InsertDeploymentJob(ctx, j)
	if err != nil || !created || stored.Final() {
		return err
	}
	return s.ask(ctx, tx, stored, requestType(stored, "start"))
}

// cannotRun says why a job cannot run ("" when it can) and whether Vercel
// can be told (we hold the installation's token).
func (s *Service) cannotRun(ctx context.Context, tx installations.Tx, j installations.DeploymentJob) (string, bool, error) {
	in, err := tx.Installation(ctx, j.InstallationID)
	switch {
	case apperr.KindOf(err) == apperr.NotFound:
		return "unknown installation", false, nil
	case err != nil:
		return "", false, err
	case in.Finalized():
		return "the integration is uninstalled", false, nil
	case in.Uninstalled():
		return "the integration is uninstalled", true, nil
	case j.ResourceID == "":
		return "", false, nil
	}
	if _, err := tx.Resource(ctx, j.InstallationID, j.ResourceID); apperr.KindOf(err) == apperr.NotFound {
		return "unknown resource", true, nil
	} else if err != nil {
		return "", false, err
	}
	return "", false, nil
}

// cancel ends a job Vercel canceled: nothing more goes to Vercel for it
// (its queued statuses are given up) and the partner's service is told.
func (s *Service) cancel(ev installations.WebhookEvent) installations.LocalChange {
	return func(ctx context.Context, tx installations.Tx) error {
		j, ok := s.known(ctx, tx, ev)
		if !ok || j.State == installations.JobCanceled {
			return nil
		}
		if next, open := j.Cancel(s.now()); open {
			if ok, err := tx.UpdateDeploymentJob(ctx, next); err != nil || !ok {
				return cmpErr(err, errStale)
			}
			if err := tx.DropDeploymentDeliveries(ctx, j.InstallationID, j.ID, "the deployment was canceled"); err != nil {
				return err
			}
		}
		return s.ask(ctx, tx, j, requestType(j, "cancel"))
	}
}

// cleanup tells the partner's service a deployment is being cleaned up
// (e.g. to drop its branch).
func (s *Service) cleanup(ev installations.WebhookEvent) installations.LocalChange {
	return func(ctx context.Context, tx installations.Tx) error {
		j, ok := s.known(ctx, tx, ev)
		if !ok {
			return nil
		}
		return s.ask(ctx, tx, j, requestType(j, "cleanup"))
	}
}

// known finds the job a cancel or cleanup is about. One we never asked
// the partner's service about (it could not run) is left alone, and so
// is a webhook about a job we do not have.
func (s *Service) known(ctx context.Context, tx installations.Tx, ev installations.WebhookEvent) (installations.DeploymentJob, bool) {
	j, ok := s.jobOf(ev)
	if ok {
		var err error
		if j, err = tx.DeploymentJob(ctx, j.Key()); err == nil {
			return j, j.Mode != installations.ModeNone
		}
	}
	s.Log.InfoContext(ctx, "deployment webhook for a job we do not have", "event_id", ev.ID, "type", ev.Type)
	return installations.DeploymentJob{}, false
}

func cmpErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}
