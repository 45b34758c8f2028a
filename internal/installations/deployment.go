package installations

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
)

// Webhook event types of deployments: Vercel blocks a deployment until
// the integration finishes its action or check run.
const (
	WebhookActionStart    = "deployment.integration.action.start"
	WebhookActionCancel   = "deployment.integration.action.cancel"
	WebhookActionCleanup  = "deployment.integration.action.cleanup"
	WebhookCheckRunStart  = "deployment.checkrun.start"
	WebhookCheckRunCancel = "deployment.checkrun.cancel"
)

// Feed events of deployments, for the partner's service in feed mode (or
// when its hook answered {"async": true}).
const (
	EventActionRequested        = "deployment.action_requested"
	EventActionCanceled         = "deployment.action_canceled"
	EventActionCleanupRequested = "deployment.action_cleanup_requested"
	EventCheckRunRequested      = "deployment.checkrun_requested"
	EventCheckRunCanceled       = "deployment.checkrun_canceled"
)

// Kinds of deployment jobs.
const (
	JobAction   = "action"
	JobCheckRun = "checkrun"
)

// States of a deployment job: requested, then running, then one final
// state. An action ends succeeded or failed, a check run completed (with
// a conclusion); either may be canceled by Vercel.
const (
	JobRequested = "requested"
	JobRunning   = "running"
	JobSucceeded = "succeeded"
	JobFailed    = "failed"
	JobCompleted = "completed"
	JobCanceled  = "canceled"
)

// Check-run conclusions.
var CheckRunConclusions = []string{"succeeded", "failed", "neutral", "skipped", "canceled", "timeout"}

// Modes a job is handled in: the partner's hook is called, or a feed
// event asks the partner's service; ModeNone for a job that could not run
// (failed at once), of which the partner's service never heard.
const (
	ModeHook = "hook"
	ModeFeed = "feed"
	ModeNone = "none"
)

// DeploymentJob is a deployment action or check run Vercel asked of us,
// and what became of it. It never holds a secret value: outcome secrets
// go to Vercel sealed in their delivery; the job keeps their names.
type DeploymentJob struct {
	ID             string
	Kind           string // JobAction or JobCheckRun
	InstallationID string
	ResourceID     string // "" for a check run without a resource
	DeploymentID   string
	Name           string // the action's name, or Vercel's check run id
	CheckID        string // a check run's check
	State          string
	Conclusion     string          // a completed check run's
	StatusText     string          // the last statusText reported (actions)
	URL            string          // the last statusUrl or externalUrl reported
	Output         json.RawMessage // a check run's last output; nil when none
	SecretNames    []string        // names of the outcome secrets reported
	Mode           string          // ModeHook, ModeFeed or ModeNone
	// Payload is what the webhook said of the deployment (and check run),
	// passed on to the partner's service.
	Payload json.RawMessage
	// ReportDue: the job failed here (an unknown resource) and Vercel
	// still has to be told.
	ReportDue bool
	// Reported is the last status Vercel accepted; ReportError why it
	// refused one, if it did.
	Reported    string
	ReportError string
	// Deadline is when an unfinished job is reported failed (timed out).
	Deadline time.Time
	// Version counts the job's changes: a change is stored only over the
	// version it was decided from.
	Version    int
	CreatedAt  time.Time
	UpdatedAt  time.Time
	FinishedAt *time.Time
}

// Final reports whether the job has ended: nothing more is reported to
// Vercel for it, except a failure still due.
func (j DeploymentJob) Final() bool {
	return slices.Contains([]string{JobSucceeded, JobFailed, JobCompleted, JobCanceled}, j.State)
}

// ErrJobFinal refuses a status for a job that has ended.
var ErrJobFinal = apperr.New(apperr.Conflict, "deployment_job_final", "the action or check run has already ended")

// Report applies a status the partner's service reports: running keeps
// the job open; succeeded or failed (an action) and completed (a check
// run, with its conclusion) end it. The caller has checked the values.
func (j DeploymentJob) Report(status, conclusion string, now time.Time) (DeploymentJob, error) {
	if j.Final() {
		return j, ErrJobFinal
	}
	j.State, j.Conclusion, j.UpdatedAt = status, conclusion, now
	if j.Final() {
		j.FinishedAt = &now
	}
	return j, nil
}

// Fail ends an unfinished job as failed (a check run: completed with
// conclusion), with why as its status text, for Vercel to be told.
func (j DeploymentJob) Fail(why, conclusion string, now time.Time) DeploymentJob {
	j.State, j.StatusText, j.UpdatedAt, j.FinishedAt = JobFailed, why, now, &now
	if j.Kind == JobCheckRun {
		j.State, j.Conclusion = JobCompleted, conclusion
	}
	return j
}

// Cancel ends an unfinished job as canceled by Vercel; ok is false when it
// had ended already.
func (j DeploymentJob) Cancel(now time.Time) (DeploymentJob, bool) {
	if j.Final() {
		return j, false
	}
	j.State, j.UpdatedAt, j.FinishedAt = JobCanceled, now, &now
	return j, true
}

// DeploymentJobKey names a job the way Vercel does: by installation,
// deployment, resource and action name (a check run by its id alone).
type DeploymentJobKey struct {
	InstallationID string
	Kind           string
	DeploymentID   string
	ResourceID     string
	Name           string
}

// Key is the job's key.
func (j DeploymentJob) Key() DeploymentJobKey {
	return DeploymentJobKey{InstallationID: j.InstallationID, Kind: j.Kind, DeploymentID: j.DeploymentID,
		ResourceID: j.ResourceID, Name: j.Name}
}

// Hook call states: pending until the hook answered (done) or the
// deadline passed (expired).
const (
	CallPending = "pending"
	CallDone    = "done"
	CallExpired = "expired"
)

// DeploymentCall is one call of the partner's hook a job needs, made in
// the background and retried until its deadline. ID is the call's
// webhook-id, the same on every attempt.
type DeploymentCall struct {
	ID             string
	JobID          string
	InstallationID string
	Type           string
	Body           json.RawMessage
	Status         string
	Attempts       int
	NextAttemptAt  time.Time
	Deadline       time.Time
	LastError      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// DeploymentTx is what a transaction can do with deployment jobs and
// their hook calls.
type DeploymentTx interface {
	// DeploymentJob finds a job by its key; apperr NotFound when none.
	DeploymentJob(ctx context.Context, key DeploymentJobKey) (DeploymentJob, error)
	// InsertDeploymentJob records j unless a job with its key exists; it
	// returns the stored job and whether it is new.
	InsertDeploymentJob(ctx context.Context, j DeploymentJob) (DeploymentJob, bool, error)
	// UpdateDeploymentJob stores j over the version it was read at (and
	// bumps the version); ok is false when another change came first.
	UpdateDeploymentJob(ctx context.Context, j DeploymentJob) (ok bool, err error)
	// InsertDeploymentCall records a call of the hook for the worker.
	InsertDeploymentCall(ctx context.Context, c DeploymentCall) error
	// FinishDeploymentCall records an attempt's outcome if owner still
	// holds the call's lease (and clears it); ok reports which.
	FinishDeploymentCall(ctx context.Context, c DeploymentCall, owner string) (ok bool, err error)
	// RecordDeploymentReport notes on a job what Vercel made of a status
	// sent for it: the status it took, or why it refused it.
	RecordDeploymentReport(ctx context.Context, jobID, accepted, refusal string) error
	// DropDeploymentDeliveries gives up the job's pending writes to
	// Vercel (dead, with reason), an attempt in flight included (its
	// outcome is not recorded): nothing more reaches Vercel for the job.
	DropDeploymentDeliveries(ctx context.Context, installationID, jobID, reason string) error
}
