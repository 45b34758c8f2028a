package deployments

import (
	"context"
	"errors"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// CompleteAction is the partner's service reporting the status of an
// action (feed mode, or after its hook answered {"async": true}); u has
// passed Vercel's schema (vercelapi.DecodeStrict). key is the request's
// Idempotency-Key. Unknown action: NotFound; one that ended: Conflict
// (installations.ErrJobFinal); a secret the product does not name:
// Invalid with fields.
func (s *Service) CompleteAction(ctx context.Context, key, installationID, deploymentID, resourceID, action string,
	u *vercelapi.DeploymentActionUpdate) (installations.DeploymentJob, deliveries.Delivery, error) {
	k := installations.DeploymentJobKey{InstallationID: installationID, Kind: installations.JobAction,
		DeploymentID: deploymentID, ResourceID: resourceID, Name: action}
	return s.complete(ctx, k, func(j installations.DeploymentJob) (deliveries.Delivery, error) {
		if err := s.checkAction(ctx, j, u); err != nil {
			return deliveries.Delivery{}, err
		}
		return s.reportAction(ctx, j, u, sendOpts{key: key})
	})
}

// CompleteCheckRun is the partner's service reporting the status of a
// check run; the rules are CompleteAction's.
func (s *Service) CompleteCheckRun(ctx context.Context, key, installationID, deploymentID, checkRunID string,
	u *vercelapi.CheckRunUpdate) (installations.DeploymentJob, deliveries.Delivery, error) {
	if err := checkCheckRun(u); err != nil {
		return installations.DeploymentJob{}, deliveries.Delivery{}, err
	}
	j, err := s.Store.CheckRun(ctx, installationID, checkRunID)
	if err == nil && (j.DeploymentID != deploymentID || j.Name != checkRunID) {
		err = errNoJob
	}
	if err != nil {
		return installations.DeploymentJob{}, deliveries.Delivery{}, err
	}
	return s.complete(ctx, j.Key(), func(j installations.DeploymentJob) (deliveries.Delivery, error) {
		return s.reportCheckRun(ctx, j, u, sendOpts{key: key})
	})
}

var errNoJob = apperr.NotFoundf("no such deployment action or check run")

// complete reads the job, lets report queue the status over it (read
// again if it changed meanwhile) and returns the job as it then is.
func (s *Service) complete(ctx context.Context, k installations.DeploymentJobKey,
	report func(installations.DeploymentJob) (deliveries.Delivery, error)) (installations.DeploymentJob, deliveries.Delivery, error) {
	for range 3 {
		j, err := s.Store.FindDeploymentJob(ctx, k)
		if apperr.KindOf(err) == apperr.NotFound {
			err = errNoJob
		}
		if err != nil {
			return j, deliveries.Delivery{}, err
		}
		if j.Final() {
			return j, deliveries.Delivery{}, installations.ErrJobFinal
		}
		d, err := report(j)
		if errors.Is(err, errStale) {
			continue
		}
		if got, gerr := s.Store.GetDeploymentJob(ctx, j.ID); gerr == nil {
			j = got
		}
		return j, d, err
	}
	return installations.DeploymentJob{}, deliveries.Delivery{}, errStale
}

// Deployment lists a deployment's actions and check runs (NotFound when
// it has none).
func (s *Service) Deployment(ctx context.Context, installationID, deploymentID string) ([]installations.DeploymentJob, error) {
	jobs, err := s.Store.ListDeploymentJobs(ctx, installationID, deploymentID)
	if err == nil && len(jobs) == 0 {
		err = apperr.NotFoundf("no actions or check runs for deployment %s", deploymentID)
	}
	return jobs, err
}

// CheckRun is one of the installation's check runs, by Vercel's check run
// id or, failing that, the newest run of the check with that id.
func (s *Service) CheckRun(ctx context.Context, installationID, id string) (installations.DeploymentJob, error) {
	return s.Store.CheckRun(ctx, installationID, id)
}
