package console

import (
	"context"

	"github.com/vercel-partner/partner-server/internal/deliveries"
)

// The partner's side of state: notifications, suspension and the
// installation's token. Their use cases are not part of this build yet;
// the console's forms are built against these interfaces and shown only
// when the app wires an implementation (nil: the pages say the action is
// not available, and the routes answer 404).
type (
	// Notification is what the notification form sends.
	Notification struct {
		Level   string // info, warn or error
		Title   string
		Message string
		Href    string
	}
	// Notifications sets and clears the notifications Vercel shows on an
	// installation and on a resource.
	Notifications interface {
		SetInstallation(ctx context.Context, installationID string, n Notification, also ...deliveries.Local) (deliveries.Delivery, error)
		ClearInstallation(ctx context.Context, installationID string, also ...deliveries.Local) (deliveries.Delivery, error)
		SetResource(ctx context.Context, installationID, resourceID string, n Notification, also ...deliveries.Local) (deliveries.Delivery, error)
		ClearResource(ctx context.Context, installationID, resourceID string, also ...deliveries.Local) (deliveries.Delivery, error)
	}
	// Suspensions suspends and resumes a resource here and at Vercel.
	Suspensions interface {
		Suspend(ctx context.Context, installationID, resourceID string, also ...deliveries.Local) (deliveries.Delivery, error)
		Resume(ctx context.Context, installationID, resourceID string, also ...deliveries.Local) (deliveries.Delivery, error)
	}
	// Credentials rotates an installation's Vercel access token.
	Credentials interface {
		Rotate(ctx context.Context, installationID string) (revoked bool, err error)
	}
)
