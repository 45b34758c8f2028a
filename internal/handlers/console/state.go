package console

import (
	"context"

	"github.com/vercel-partner/partner-server/internal/credentials"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/notifications"
	"github.com/vercel-partner/partner-server/internal/resources"
)

// The partner's side of state: notifications, suspension and the
// installation's token, through the use cases the internal API calls.
type (
	// Notifications sets and clears what Vercel's dashboard shows on an
	// installation and on a resource (notifications.Service).
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
	// Suspensions suspends and resumes a resource here and at Vercel
	// (resources.Service).
	Suspensions interface {
		Suspend(ctx context.Context, key, installationID, resourceID string, also ...deliveries.Local) (installations.Resource, deliveries.Delivery, error)
		Resume(ctx context.Context, key, installationID, resourceID string, also ...deliveries.Local) (installations.Resource, deliveries.Delivery, error)
	}
	// Credentials rotates an installation's Vercel access token
	// (credentials.Service).
	Credentials interface {
		Rotate(ctx context.Context, installationID string) (credentials.Result, error)
	}
)

var (
	_ Notifications = (*notifications.Service)(nil)
	_ Suspensions   = (*resources.Service)(nil)
	_ Credentials   = (*credentials.Service)(nil)
)
