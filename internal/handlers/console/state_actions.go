package console

import (
	"context"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// resourceRef is the path's resource id ("" for the installation's own
// routes); ok is false when it is malformed.
func resourceRef(r *http.Request) (string, bool) {
	id := chi.URLParam(r, "resourceId")
	return id, id == "" || validRef.MatchString(id)
}

func targetOf(resourceID string) string {
	if resourceID == "" {
		return "installation"
	}
	return "resource " + resourceID
}

// handleSetNotification shows a notification on the installation, or on
// one of its resources, in Vercel's dashboard. The use case checks it.
//
// POST /console/installations/{installationId}[/resources/{resourceId}]/notification (level, title, message, href)
func (c *Console) handleSetNotification(w http.ResponseWriter, r *http.Request) {
	in, err := c.installation(r)
	rid, ok := resourceRef(r)
	if err == nil && !ok {
		err = errNoResource
	}
	if err != nil {
		c.renderAppError(w, r, err)
		return
	}
	n := installations.Notification{Level: r.PostFormValue("level"), Title: r.PostFormValue("title"),
		Message: r.PostFormValue("message"), Href: r.PostFormValue("href")}
	d, err := c.act(r, installations.AuditEntry{Action: "notification.set", InstallationID: in.ID, Target: targetOf(rid),
		Detail: n.Level + ": " + n.Title}, func(also deliveries.Local) (deliveries.Delivery, error) {
		if rid == "" {
			_, d, err := c.Notifications.SetInstallation(r.Context(), "", in.ID, n, also)
			return d, err
		}
		_, d, err := c.Notifications.SetResource(r.Context(), "", in.ID, rid, n, also)
		return d, err
	})
	if err != nil {
		c.renderAppError(w, r, err)
		return
	}
	done(w, r, installationPage(in.ID), "notification", d)
}

// handleClearNotification clears the installation's or a resource's
// notification.
//
// POST /console/installations/{installationId}[/resources/{resourceId}]/notification/clear
func (c *Console) handleClearNotification(w http.ResponseWriter, r *http.Request) {
	in, err := c.installation(r)
	rid, ok := resourceRef(r)
	if err == nil && !ok {
		err = errNoResource
	}
	if err != nil {
		c.renderAppError(w, r, err)
		return
	}
	d, err := c.act(r, installations.AuditEntry{Action: "notification.clear", InstallationID: in.ID, Target: targetOf(rid)},
		func(also deliveries.Local) (deliveries.Delivery, error) {
			if rid == "" {
				_, d, err := c.Notifications.ClearInstallation(r.Context(), "", in.ID, also)
				return d, err
			}
			_, d, err := c.Notifications.ClearResource(r.Context(), "", in.ID, rid, also)
			return d, err
		})
	if err != nil {
		c.renderAppError(w, r, err)
		return
	}
	done(w, r, installationPage(in.ID), "cleared", d)
}

// handleSuspend suspends a resource here and at Vercel.
//
// POST /console/installations/{installationId}/resources/{resourceId}/suspend
func (c *Console) handleSuspend(w http.ResponseWriter, r *http.Request) {
	c.resourceState(w, r, "resource.suspend", "suspended", c.Suspensions.Suspend)
}

// handleResume resumes a suspended resource.
//
// POST /console/installations/{installationId}/resources/{resourceId}/resume
func (c *Console) handleResume(w http.ResponseWriter, r *http.Request) {
	c.resourceState(w, r, "resource.resume", "resumed", c.Suspensions.Resume)
}

func (c *Console) resourceState(w http.ResponseWriter, r *http.Request, action, notice string,
	change func(ctx context.Context, key, installationID, resourceID string, also ...deliveries.Local) (installations.Resource, deliveries.Delivery, error)) {
	in, err := c.installation(r)
	rid, ok := resourceRef(r)
	if err == nil && (!ok || rid == "") {
		err = errNoResource
	}
	if err != nil {
		c.renderAppError(w, r, err)
		return
	}
	d, err := c.act(r, installations.AuditEntry{Action: action, InstallationID: in.ID, Target: targetOf(rid)},
		func(also deliveries.Local) (deliveries.Delivery, error) {
			_, d, err := change(r.Context(), "", in.ID, rid, also)
			return d, err
		})
	if err != nil {
		c.renderAppError(w, r, err)
		return
	}
	done(w, r, installationPage(in.ID), notice, d)
}

// handleRotate replaces the installation's Vercel access token and
// revokes the old one; no token is ever shown.
//
// POST /console/installations/{installationId}/credentials/rotate
func (c *Console) handleRotate(w http.ResponseWriter, r *http.Request) {
	in, err := c.installation(r)
	if err != nil {
		c.renderAppError(w, r, err)
		return
	}
	revoked := false
	_, err = c.act(r, installations.AuditEntry{Action: "credentials.rotate", InstallationID: in.ID, Target: "installation token"},
		func(deliveries.Local) (deliveries.Delivery, error) {
			res, err := c.Credentials.Rotate(r.Context(), in.ID)
			revoked = res.Revoked
			return deliveries.Delivery{}, err
		})
	if err != nil {
		c.renderAppError(w, r, err)
		return
	}
	notice := "rotated"
	if !revoked {
		notice = "rotated-kept"
	}
	done(w, r, installationPage(in.ID), notice, deliveries.Delivery{})
}
