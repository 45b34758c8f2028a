package deliveries

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelcall"
)

// UpdateDeploymentAction is updateIntegrationDeploymentAction for the
// deployment job jobID; the job's statuses reach Vercel in order. The
// outcome secrets are sealed at rest until delivered, then wiped.
func UpdateDeploymentAction(installationID, jobID, deploymentID, resourceID, action string, u *vercelapi.DeploymentActionUpdate) Write {
	return newWrite(OpUpdateDeploymentAction, installationID, jobID,
		&actionCall{DeploymentID: deploymentID, ResourceID: resourceID, Action: action, Update: u})
}

// UpdateCheckRun is the check-run update for the deployment job jobID;
// the job's statuses reach Vercel in order.
func UpdateCheckRun(installationID, jobID, deploymentID, checkRunID string, u *vercelapi.CheckRunUpdate) Write {
	return newWrite(OpUpdateCheckRun, installationID, jobID,
		&checkRunCall{DeploymentID: deploymentID, CheckRunID: checkRunID, Update: u})
}

// actionCall is a queued updateIntegrationDeploymentAction: the ids of
// its path and Vercel's body.
type actionCall struct {
	DeploymentID string                            `json:"deploymentId"`
	ResourceID   string                            `json:"resourceId"`
	Action       string                            `json:"action"`
	Update       *vercelapi.DeploymentActionUpdate `json:"update"`
}

func (c *actionCall) Validate() error {
	if c.DeploymentID == "" || c.ResourceID == "" || c.Action == "" {
		return errors.New("deliveries: a deployment action names its deployment, resource and action")
	}
	return c.Update.Validate()
}

// checkRunCall is a queued check-run update.
type checkRunCall struct {
	DeploymentID string                    `json:"deploymentId"`
	CheckRunID   string                    `json:"checkRunId"`
	Update       *vercelapi.CheckRunUpdate `json:"update"`
}

func (c *checkRunCall) Validate() error {
	if c.DeploymentID == "" || c.CheckRunID == "" {
		return errors.New("deliveries: a check run update names its deployment and check run")
	}
	return c.Update.Validate()
}

func sendDeploymentAction(ctx context.Context, v vercelcall.Installation, _ Delivery, c *actionCall) error {
	return v.UpdateDeploymentAction(ctx, c.DeploymentID, c.ResourceID, c.Action, c.Update)
}

func sendCheckRun(ctx context.Context, v vercelcall.Installation, _ Delivery, c *checkRunCall) error {
	return v.UpdateCheckRun(ctx, c.DeploymentID, c.CheckRunID, c.Update)
}

// reportedStatus is the status a stored body sends: an action's status,
// or a check run's (with its conclusion once completed).
func reportedStatus(body []byte) string {
	var b struct {
		Update struct{ Status, Conclusion string } `json:"update"`
	}
	json.Unmarshal(body, &b)
	if b.Update.Conclusion != "" {
		return b.Update.Status + ": " + b.Update.Conclusion
	}
	return b.Update.Status
}

// deploymentReported notes on the job the status Vercel took.
func deploymentReported(ctx context.Context, tx installations.Tx, d Delivery, body []byte) error {
	return tx.RecordDeploymentReport(ctx, d.Target, reportedStatus(body), "")
}

// deploymentRefused notes on the job that Vercel refused a status (or
// that it could not be delivered): visible, and never tried again.
func deploymentRefused(ctx context.Context, tx installations.Tx, d Delivery, body []byte) error {
	why := fmt.Sprintf("Vercel refused the %q status: %s", reportedStatus(body), d.LastError)
	if d.Status == StatusDead {
		why = fmt.Sprintf("the %q status could not be delivered (%d attempts): %s", reportedStatus(body), d.Attempts, d.LastError)
	}
	return tx.RecordDeploymentReport(ctx, d.Target, "", truncate(why, maxLastError))
}
