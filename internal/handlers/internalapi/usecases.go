package internalapi

import (
	"context"

	"github.com/vercel-partner/partner-server/internal/billing"
	"github.com/vercel-partner/partner-server/internal/credentials"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/deployments"
	"github.com/vercel-partner/partner-server/internal/eventpush"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/lifecycle"
	"github.com/vercel-partner/partner-server/internal/notifications"
	"github.com/vercel-partner/partner-server/internal/resources"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// The use cases the internal API calls, as small interfaces so a test
// can put fakes behind the handlers; the app wires the real services.
type (
	// Resources is our copy of resources and the partner's changes
	// (resources.Service).
	Resources interface {
		List(ctx context.Context, installationID string) ([]installations.Resource, error)
		Get(ctx context.Context, installationID, resourceID string) (installations.Resource, error)
		Change(ctx context.Context, key, installationID, resourceID string, p resources.Patch) (installations.Resource, deliveries.Delivery, error)
		Import(ctx context.Context, key, installationID, resourceID string, in resources.Import) (installations.Resource, deliveries.Delivery, error)
		Remove(ctx context.Context, key, installationID, resourceID string) (deliveries.Delivery, error)
		Suspend(ctx context.Context, key, installationID, resourceID string, also ...deliveries.Local) (installations.Resource, deliveries.Delivery, error)
		Resume(ctx context.Context, key, installationID, resourceID string, also ...deliveries.Local) (installations.Resource, deliveries.Delivery, error)
	}
	// Notifications are the notifications Vercel shows
	// (notifications.Service).
	Notifications interface {
		SetInstallation(ctx context.Context, key, installationID string, n installations.Notification,
			also ...deliveries.Local) (installations.Installation, deliveries.Delivery, error)
		ClearInstallation(ctx context.Context, key, installationID string,
			also ...deliveries.Local) (installations.Installation, deliveries.Delivery, error)
		SetResource(ctx context.Context, key, installationID, resourceID string, n installations.Notification,
			also ...deliveries.Local) (installations.Resource, deliveries.Delivery, error)
		ClearResource(ctx context.Context, key, installationID, resourceID string,
			also ...deliveries.Local) (installations.Resource, deliveries.Delivery, error)
	}
	// Credentials rotates installation tokens (credentials.Service).
	Credentials interface {
		Rotate(ctx context.Context, installationID string) (credentials.Result, error)
	}
	// Experimentation is a resource's flags and experiments, queued for
	// Vercel (resources.Service).
	Experimentation interface {
		PushItems(ctx context.Context, key, installationID, resourceID string, req *vercelapi.ExperimentationItems) (deliveries.Delivery, error)
		UpdateItem(ctx context.Context, key, installationID, resourceID, itemID string, req *vercelapi.ExperimentationItemUpdate) (deliveries.Delivery, error)
		DeleteItem(ctx context.Context, key, installationID, resourceID, itemID string) (deliveries.Delivery, error)
		PutGlobalConfig(ctx context.Context, key, installationID, resourceID string, req *vercelapi.GlobalConfigRequest) (deliveries.Delivery, error)
	}
	// Lifecycle is an installation's usage and finalization
	// (lifecycle.Service).
	Lifecycle interface {
		AddUsage(ctx context.Context, installationID string, records []lifecycle.UsageRecord) (accepted, added int, err error)
		OpenPeriod(ctx context.Context, installationID string) (billing.Statement, error)
		Finalize(ctx context.Context, key, installationID string, also ...deliveries.Local) (deliveries.Delivery, error)
		Refund(ctx context.Context, key, installationID, invoiceID, total, reason string, also ...deliveries.Local) (deliveries.Delivery, error)
	}
	// Deliveries forwards writes to Vercel and lets operators follow
	// them (deliveries.Service).
	Deliveries interface {
		Enqueue(ctx context.Context, w deliveries.Write) (deliveries.Delivery, error)
		Get(ctx context.Context, id string) (deliveries.Delivery, error)
		Retry(ctx context.Context, id string) (deliveries.Delivery, error)
		Cancel(ctx context.Context, id string) (deliveries.Delivery, error)
	}
	// Deployments completes deployment actions and check runs and shows
	// them (deployments.Service).
	Deployments interface {
		CompleteAction(ctx context.Context, key, installationID, deploymentID, resourceID, action string,
			u *vercelapi.DeploymentActionUpdate) (installations.DeploymentJob, deliveries.Delivery, error)
		CompleteCheckRun(ctx context.Context, key, installationID, deploymentID, checkRunID string,
			u *vercelapi.CheckRunUpdate) (installations.DeploymentJob, deliveries.Delivery, error)
		Deployment(ctx context.Context, installationID, deploymentID string) ([]installations.DeploymentJob, error)
	}
	// Pushes lets operators follow the pushes of feed events, which the
	// delivery routes take by their "push_" ids (eventpush.Service).
	Pushes interface {
		Get(ctx context.Context, id string) (installations.Push, error)
		Retry(ctx context.Context, id string) (installations.Push, error)
		Cancel(ctx context.Context, id string) (installations.Push, error)
	}
)

var (
	_ Resources       = (*resources.Service)(nil)
	_ Lifecycle       = (*lifecycle.Service)(nil)
	_ Deliveries      = (*deliveries.Service)(nil)
	_ Deployments     = (*deployments.Service)(nil)
	_ Resources       = (*resources.Service)(nil)
	_ Experimentation = (*resources.Service)(nil)
	_ Lifecycle       = (*lifecycle.Service)(nil)
	_ Deliveries      = (*deliveries.Service)(nil)
	_ Pushes          = (*eventpush.Service)(nil)
	_ Notifications   = (*notifications.Service)(nil)
	_ Credentials     = (*credentials.Service)(nil)
)
