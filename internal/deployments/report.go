package deployments

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// A status goes to Vercel as a delivery whose local change is the job's:
// both commit together, and only over the version of the job the status
// was decided from (errStale otherwise). also, when set, runs in the same
// transaction (the hook call that brought the status is done).
type also func(ctx context.Context, tx installations.Tx) error

// sendOpts are how a status is queued: key is the request's
// Idempotency-Key; background leaves the first attempt to the worker.
type sendOpts struct {
	key        string
	background bool
	also       also
}

// reportAction queues action status u for job j.
func (s *Service) reportAction(ctx context.Context, j installations.DeploymentJob, u *vercelapi.DeploymentActionUpdate, o sendOpts) (deliveries.Delivery, error) {
	next, err := j.Report(u.Status, "", s.now())
	if err != nil {
		return deliveries.Delivery{}, err
	}
	next.StatusText, next.URL = u.StatusText, u.StatusURL
	if len(u.Outcomes) > 0 {
		next.SecretNames = secretNamesOf(u)
	}
	w := deliveries.UpdateDeploymentAction(j.InstallationID, j.ID, j.DeploymentID, j.ResourceID, j.Name, u)
	return s.send(ctx, w, next, o)
}

// reportCheckRun queues check-run status u for job j; without a link of
// its own it links the check run's page on our dashboard.
func (s *Service) reportCheckRun(ctx context.Context, j installations.DeploymentJob, u *vercelapi.CheckRunUpdate, o sendOpts) (deliveries.Delivery, error) {
	state := installations.JobRunning
	if u.Status == vercelapi.CheckRunCompleted {
		state = installations.JobCompleted
	}
	next, err := j.Report(state, u.Conclusion, s.now())
	if err != nil {
		return deliveries.Delivery{}, err
	}
	if u.ExternalURL == "" {
		u.ExternalURL = s.checkLink(j.Name)
	}
	next.URL = u.ExternalURL
	if u.Output != nil {
		next.Output, _ = json.Marshal(u.Output)
	}
	w := deliveries.UpdateCheckRun(j.InstallationID, j.ID, j.DeploymentID, j.Name, u)
	return s.send(ctx, w, next, o)
}

func (s *Service) send(ctx context.Context, w deliveries.Write, next installations.DeploymentJob, o sendOpts) (deliveries.Delivery, error) {
	w.IdemKey, w.Background = o.key, o.background
	w.Local = func(ctx context.Context, tx installations.Tx, _ string) error {
		if o.also != nil {
			if err := o.also(ctx, tx); err != nil {
				return err
			}
		}
		ok, err := tx.UpdateDeploymentJob(ctx, next)
		if err == nil && !ok {
			err = errStale
		}
		return err
	}
	return s.Queue.Enqueue(ctx, w)
}

// failDue tells Vercel that job j failed: it is unfinished past its
// deadline ("timed out"), or failed here with the report still due.
func (s *Service) failDue(ctx context.Context, j installations.DeploymentJob) error {
	next := j
	if !j.ReportDue {
		next = j.Fail("timed out", "timeout", s.now())
	}
	next.ReportDue = false
	var w deliveries.Write
	if j.Kind == installations.JobCheckRun {
		w = deliveries.UpdateCheckRun(j.InstallationID, j.ID, j.DeploymentID, j.Name, &vercelapi.CheckRunUpdate{
			Status: vercelapi.CheckRunCompleted, Conclusion: next.Conclusion, ExternalURL: s.checkLink(j.Name)})
		next.URL = s.checkLink(j.Name)
	} else {
		w = deliveries.UpdateDeploymentAction(j.InstallationID, j.ID, j.DeploymentID, j.ResourceID, j.Name,
			&vercelapi.DeploymentActionUpdate{Status: vercelapi.ActionFailed, StatusText: next.StatusText})
	}
	_, err := s.send(ctx, w, next, sendOpts{background: true})
	if unreportable(err) {
		return s.giveUp(ctx, next, err)
	}
	return err
}

// unreportable: the installation is gone or finalized; its token with it.
func unreportable(err error) bool {
	return errors.Is(err, installations.ErrFinalized) || apperr.KindOf(err) == apperr.NotFound
}

// giveUp records job next as it stands, with why Vercel cannot be told.
func (s *Service) giveUp(ctx context.Context, next installations.DeploymentJob, cause error) error {
	why := "the installation is finalized: Vercel cannot be told"
	if apperr.KindOf(cause) == apperr.NotFound {
		why = "the installation is unknown: Vercel cannot be told"
	}
	return s.Tx(ctx, func(tx installations.Tx) error {
		ok, err := tx.UpdateDeploymentJob(ctx, next)
		if err == nil && !ok {
			return errStale
		}
		if err != nil {
			return err
		}
		return tx.RecordDeploymentReport(ctx, next.ID, "", why)
	})
}
