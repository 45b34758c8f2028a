package webhooks

import (
	"context"
	"encoding/json"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// effect is what ev changes, run in the transaction that stores it; nil
// for types that are only kept and put on the feed. Events about unknown
// installations, and payloads that lack what the effect needs, change
// nothing: they are stored and answered 2xx all the same, since a
// redelivery would not be different.
func (h *Handler) effect(ev installations.WebhookEvent) installations.LocalChange {
	if h.Deployments != nil { // its own rules, unknown installations included
		if change := h.Deployments.Effect(ev); change != nil {
			return change
		}
	}
	var apply func(ctx context.Context, tx installations.Tx, in installations.Installation) error
	switch ev.Type {
	case installations.WebhookConfigurationRemoved:
		apply = h.removed
	case installations.WebhookMemberChanged:
		apply = h.memberChanged(ev)
	case installations.WebhookProjectConnected, installations.WebhookProjectDisconnected:
		apply = h.project(ev)
	case installations.WebhookTransferred:
		apply = h.transferred(ev)
	case installations.WebhookScopeChangeConfirmed:
		apply = h.scopesChanged(ev)
	case installations.WebhookPermissionUpgraded:
		apply = h.permissionUpgraded(ev)
	default:
		if state, ok := installations.InvoiceState(ev.Type); ok {
			apply = h.invoice(ev, state)
		}
	}
	if apply == nil {
		return nil
	}
	return func(ctx context.Context, tx installations.Tx) error {
		if ev.InstallationID == "" {
			return nil
		}
		in, err := tx.Installation(ctx, ev.InstallationID)
		if apperr.KindOf(err) == apperr.NotFound {
			h.Log.InfoContext(ctx, "webhook for an unknown installation", "event_id", ev.ID, "installation_id", ev.InstallationID)
			return nil
		}
		if err != nil {
			return err
		}
		return apply(ctx, tx, in)
	}
}

// removed runs the one uninstall, as DELETE /v1/installations does, and
// ends the installation's sessions.
func (h *Handler) removed(ctx context.Context, tx installations.Tx, in installations.Installation) error {
	if _, err := h.Lifecycle.UninstallIn(ctx, tx, in.ID); err != nil {
		return err
	}
	return tx.EndInstallationSessions(ctx, in.ID)
}

// invoice creates our record of the invoice or moves it to state.
func (h *Handler) invoice(ev installations.WebhookEvent, state string) func(context.Context, installations.Tx, installations.Installation) error {
	return func(ctx context.Context, tx installations.Tx, in installations.Installation) error {
		var p installations.InvoiceWebhook
		if !h.decode(ctx, ev, &p) || installations.CheckID("invoiceId", p.InvoiceID) != nil {
			h.Log.WarnContext(ctx, "invoice webhook without a usable invoiceId", "event_id", ev.ID)
			return nil
		}
		if err := h.dunning(ctx, tx, ev, in.ID, p.InvoiceID); err != nil {
			return err
		}
		return tx.PutInvoice(ctx, p.Invoice(in.ID, state))
	}
}

// dunning records a failed or a successful payment for dunning, before
// the invoice record (a failure of an invoice we had no record of is
// kept, never acted on). It runs whether dunning is on or not, so it
// starts from what happened when turned on.
func (h *Handler) dunning(ctx context.Context, tx installations.Tx, ev installations.WebhookEvent, inst, invoiceID string) error {
	at := eventTime(ev)
	switch ev.Type {
	case installations.WebhookInvoiceNotPaid, installations.WebhookInvoiceOverdue:
		kind, _ := installations.InvoiceState(ev.Type)
		return tx.InvoiceFailed(ctx, inst, invoiceID, kind, at)
	case installations.WebhookInvoicePaid:
		return tx.InvoicePaid(ctx, inst, invoiceID, at)
	}
	return nil
}

// eventTime is when Vercel says ev happened (its createdAt), never later
// than now; now when it does not say.
func eventTime(ev installations.WebhookEvent) time.Time {
	now := time.Now()
	if ev.SentAt.IsZero() || ev.SentAt.After(now) {
		return now
	}
	return ev.SentAt
}

// followUp runs once a new event is stored: a payment event asks dunning
// to act on it.
func (h *Handler) followUp(ev installations.WebhookEvent) {
	switch ev.Type {
	case installations.WebhookInvoiceNotPaid, installations.WebhookInvoiceOverdue, installations.WebhookInvoicePaid:
		if h.Dunning != nil && ev.InstallationID != "" {
			h.Dunning.Kick(ev.InstallationID)
		}
	}
}

// transferred records the team and account the installation moved to
// and ends its sessions: their members belong to the previous team.
func (h *Handler) transferred(ev installations.WebhookEvent) func(context.Context, installations.Tx, installations.Installation) error {
	return func(ctx context.Context, tx installations.Tx, in installations.Installation) error {
		var p installations.TransferWebhook
		if !h.decode(ctx, ev, &p) || (p.NewTeamID == "" && p.NewAccountID == "") ||
			(p.NewTeamID != "" && installations.CheckID("newTeamId", p.NewTeamID) != nil) ||
			(p.NewAccountID != "" && installations.CheckID("newAccountId", p.NewAccountID) != nil) {
			h.Log.WarnContext(ctx, "transfer webhook without usable newTeamId or newAccountId", "event_id", ev.ID)
			return nil
		}
		if err := tx.MoveInstallation(ctx, in.ID, p.NewTeamID, p.NewAccountID); err != nil {
			return err
		}
		return tx.EndInstallationSessions(ctx, in.ID)
	}
}

// scopesChanged replaces the installation's scopes with the confirmed ones.
func (h *Handler) scopesChanged(ev installations.WebhookEvent) func(context.Context, installations.Tx, installations.Installation) error {
	return func(ctx context.Context, tx installations.Tx, in installations.Installation) error {
		var p installations.ScopeWebhook
		if !h.decode(ctx, ev, &p) || p.Configuration.Scopes == nil ||
			installations.CheckTexts("scopes", *p.Configuration.Scopes, installations.MaxScopes, installations.MaxScope) != nil {
			h.Log.WarnContext(ctx, "scope webhook without usable configuration.scopes", "event_id", ev.ID)
			return nil
		}
		return tx.SetInstallationScopes(ctx, in.ID, *p.Configuration.Scopes)
	}
}

// permissionUpgraded records the projects the installation may now reach.
func (h *Handler) permissionUpgraded(ev installations.WebhookEvent) func(context.Context, installations.Tx, installations.Installation) error {
	return func(ctx context.Context, tx installations.Tx, in installations.Installation) error {
		var p installations.PermissionWebhook
		if !h.decode(ctx, ev, &p) || len(p.Check()) > 0 {
			h.Log.WarnContext(ctx, "permission webhook with unusable projects", "event_id", ev.ID)
			return nil
		}
		return tx.SetInstallationProjects(ctx, in.ID, p.Configuration.ProjectSelection, p.Projects.Added, p.Projects.Removed)
	}
}

// memberChanged gives the member's live sessions the new role; NONE ends them.
func (h *Handler) memberChanged(ev installations.WebhookEvent) func(context.Context, installations.Tx, installations.Installation) error {
	return func(ctx context.Context, tx installations.Tx, in installations.Installation) error {
		var p installations.MemberWebhook
		if !h.decode(ctx, ev, &p) || p.MemberID == "" || p.Role == "" {
			h.Log.WarnContext(ctx, "member webhook without memberId or role", "event_id", ev.ID)
			return nil
		}
		return tx.SetMemberRole(ctx, in.ID, p.MemberID, p.Role)
	}
}

// project records or forgets a project connected to one of our resources.
func (h *Handler) project(ev installations.WebhookEvent) func(context.Context, installations.Tx, installations.Installation) error {
	return func(ctx context.Context, tx installations.Tx, in installations.Installation) error {
		var p installations.ProjectWebhook
		if !h.decode(ctx, ev, &p) {
			return nil
		}
		c := p.Connection(in.ID)
		if c.ResourceID == "" || c.ProjectID == "" {
			h.Log.WarnContext(ctx, "project webhook without resourceId or projectId", "event_id", ev.ID)
			return nil
		}
		if _, err := tx.Resource(ctx, in.ID, c.ResourceID); err != nil {
			if apperr.KindOf(err) == apperr.NotFound {
				h.Log.InfoContext(ctx, "project webhook for an unknown resource", "event_id", ev.ID, "resource_id", c.ResourceID)
				return nil
			}
			return err
		}
		if ev.Type == installations.WebhookProjectDisconnected {
			return tx.DeleteResourceProject(ctx, in.ID, c.ResourceID, c.ProjectID)
		}
		return tx.PutResourceProject(ctx, c)
	}
}

// decode reads ev's payload into v, logging a payload of the wrong shape.
func (h *Handler) decode(ctx context.Context, ev installations.WebhookEvent, v any) bool {
	if err := json.Unmarshal(ev.Payload, v); err != nil {
		h.Log.WarnContext(ctx, "webhook payload of an unexpected shape", "event_id", ev.ID, "type", ev.Type)
		return false
	}
	return true
}
