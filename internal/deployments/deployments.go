// Package deployments holds the use cases of Vercel's deployment
// integrations: an action the integration runs for a deployment (a
// database branch for a preview, say) and a check run. Vercel starts
// either with a webhook and blocks the deployment until we report the
// outcome.
//
// The webhook records a job (and, in hook mode, the call of the
// partner's hook it needs) in its own transaction and is answered at
// once. A background worker calls the hook, retried with backoff until
// the job's deadline (deployments.action_timeout); without a hook, or
// when the hook answers {"async": true}, a feed event asks the partner's
// service, which answers through the internal API. Every status goes to
// Vercel through the delivery queue, ordered per job; a job nobody
// finished by its deadline is reported failed ("timed out").
package deployments

import (
	"cmp"
	"context"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/provisioning"
)

// Deps are the service's collaborators.
type Deps struct {
	Store Store
	// Tx runs fn in one database transaction (db.DB.InTx).
	Tx        func(ctx context.Context, fn func(installations.Tx) error) error
	Resources installations.ResourceStore
	Catalog   installations.Catalog
	// Queue sends the statuses to Vercel.
	Queue Queue
	// Hook is the partner's hook; nil is feed mode.
	Hook *provisioning.Client
	// PublicURL is where check-run pages are (their sso: links).
	PublicURL string
	Log       *slog.Logger // optional
}

// Store is what the service needs of the database besides transactions.
type Store interface {
	GetDeploymentJob(ctx context.Context, id string) (installations.DeploymentJob, error)
	FindDeploymentJob(ctx context.Context, key installations.DeploymentJobKey) (installations.DeploymentJob, error)
	CheckRun(ctx context.Context, installationID, id string) (installations.DeploymentJob, error)
	ListDeploymentJobs(ctx context.Context, installationID, deploymentID string) ([]installations.DeploymentJob, error)
	DueDeploymentJobs(ctx context.Context, now time.Time, limit int) ([]installations.DeploymentJob, error)
	ClaimDeploymentCalls(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]installations.DeploymentCall, error)
	ReleaseDeploymentCall(ctx context.Context, id, owner string) error
	ExpireDeploymentCalls(ctx context.Context, now time.Time) (int64, error)
}

// Queue is the delivery queue (deliveries.Service).
type Queue interface {
	Enqueue(ctx context.Context, w deliveries.Write) (deliveries.Delivery, error)
}

// Options tune the service; zero values take the defaults noted.
type Options struct {
	// ActionTimeout is how long a job waits for its outcome before it is
	// reported failed; 10m (deployments.action_timeout).
	ActionTimeout time.Duration
	// HookTimeout bounds one hook call (provisioning.hook_timeout); a
	// call's lease outlives it by a margin; 10s.
	HookTimeout  time.Duration
	PollInterval time.Duration // how often the worker looks for hook calls; 1s
	// SweepInterval is how often it looks for jobs past their deadline; 1s.
	SweepInterval time.Duration
	BaseBackoff   time.Duration // wait after a hook call's first failure; 1s
	MaxBackoff    time.Duration // cap on that wait; 1m
	Workers       int           // hook calls made at once; 4
}

func (o Options) withDefaults() Options {
	o.ActionTimeout = cmp.Or(o.ActionTimeout, 10*time.Minute)
	o.HookTimeout = cmp.Or(o.HookTimeout, 10*time.Second)
	o.PollInterval = cmp.Or(o.PollInterval, time.Second)
	o.SweepInterval = cmp.Or(o.SweepInterval, time.Second)
	o.BaseBackoff = cmp.Or(o.BaseBackoff, time.Second)
	o.MaxBackoff = cmp.Or(o.MaxBackoff, time.Minute)
	o.Workers = cmp.Or(o.Workers, 4)
	return o
}

// leaseMargin is how much longer than a hook call its lease lasts: time
// to record the answer. A call cut short by a crash is tried again once
// its lease runs out.
const leaseMargin = 5 * time.Second

// Service is the deployment use cases and the worker that calls the hook.
type Service struct {
	Deps
	opts Options
	now  func() time.Time
}

// New returns the service, in hook mode when d.Hook is set.
func New(d Deps, opts Options) *Service {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{Deps: d, opts: opts.withDefaults(), now: time.Now}
}

// mode is how new jobs are handled.
func (s *Service) mode() string {
	if s.Hook != nil {
		return installations.ModeHook
	}
	return installations.ModeFeed
}

// CheckPage is the dashboard path of a check run's page.
func CheckPage(checkRunID string) string { return "/dashboard/checks/" + url.PathEscape(checkRunID) }

// checkLink is the sso: link Vercel shows for a check run without one of
// its own: "Open in Provider", then the check run's page.
func (s *Service) checkLink(checkRunID string) string {
	return "sso:" + strings.TrimRight(s.PublicURL, "/") + CheckPage(checkRunID)
}
