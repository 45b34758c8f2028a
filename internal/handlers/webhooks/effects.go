package webhooks

import (
	"context"
	"encoding/json"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// effect is what ev changes, run in the transaction that stores it; nil
// for types that are only kept and put on the feed. Events about unknown
// installations, and payloads that lack what the effect needs, change
// nothing: they are stored and answered 2xx all the same, since a
// redelivery would not be different.
func (h *Handler) effect(ev installations.WebhookEvent) installations.LocalChange {
	var apply func(ctx context.Context, tx installations.Tx, in installations.Installation) error
	switch ev.Type {
	case installations.WebhookConfigurationRemoved:
		apply = h.removed
	case installations.WebhookMemberChanged:
		apply = h.memberChanged(ev)
	case installations.WebhookProjectConnected, installations.WebhookProjectDisconnected:
		apply = h.project(ev)
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

// removed runs the one uninstall, as DELETE /v1/installations does.
func (h *Handler) removed(ctx context.Context, tx installations.Tx, in installations.Installation) error {
	_, err := h.Lifecycle.UninstallIn(ctx, tx, in.ID)
	return err
}

// invoice creates our record of the invoice or moves it to state.
func (h *Handler) invoice(ev installations.WebhookEvent, state string) func(context.Context, installations.Tx, installations.Installation) error {
	return func(ctx context.Context, tx installations.Tx, in installations.Installation) error {
		var p installations.InvoiceWebhook
		if !h.decode(ctx, ev, &p) || installations.CheckID("invoiceId", p.InvoiceID) != nil {
			h.Log.WarnContext(ctx, "invoice webhook without a usable invoiceId", "event_id", ev.ID)
			return nil
		}
		return tx.PutInvoice(ctx, p.Invoice(in.ID, state))
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
