package vercelsim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
)

// Webhook event types the simulator builds helpers for.
const (
	EventConfigurationRemoved = "integration-configuration.removed"
	EventInvoiceCreated       = "marketplace.invoice.created"
	EventInvoicePaid          = "marketplace.invoice.paid"
	EventInvoiceNotPaid       = "marketplace.invoice.notpaid"
	EventInvoiceRefunded      = "marketplace.invoice.refunded"
	EventInvoiceOverdue       = "marketplace.invoice.overdue"
	EventMemberChanged        = "marketplace.member.changed"
	EventProjectConnected     = "integration-resource.project-connected"
	EventProjectDisconnected  = "integration-resource.project-disconnected"
	EventTransferred          = "integration-configuration.transferred"
	EventScopeChangeConfirmed = "integration-configuration.scope-change-confirmed"
	EventPermissionUpgraded   = "integration-configuration.permission-upgraded"
)

// WebhookEvent is Vercel's webhook envelope. Payload may be edited before
// sending.
type WebhookEvent struct {
	ID        string         `json:"id"`
	Type      string         `json:"type"`
	CreatedAt int64          `json:"createdAt"` // epoch milliseconds
	Region    string         `json:"region"`
	Payload   map[string]any `json:"payload"`
}

// Project is a Vercel project a resource is connected to.
type Project struct {
	ID   string
	Name string
}

// CustomEvent wraps any payload (nil = {}) in the envelope, with a fresh id.
func (s *Sim) CustomEvent(eventType string, payload map[string]any) WebhookEvent {
	if payload == nil {
		payload = map[string]any{}
	}
	return WebhookEvent{ID: newID("evt_"), Type: eventType, CreatedAt: s.now().UnixMilli(), Region: "iad1", Payload: payload}
}

// RemovedEvent is integration-configuration.removed for an installation.
func (s *Sim) RemovedEvent(installationID string) WebhookEvent {
	return s.CustomEvent(EventConfigurationRemoved, map[string]any{
		"team":          map[string]any{"id": "team_" + AccountHex(installationID)},
		"user":          map[string]any{"id": DefaultAdminUserID},
		"configuration": map[string]any{"id": installationID, "projectSelection": "all", "projects": []string{}},
	})
}

// InvoiceEvent is marketplace.invoice.<kind> (created, paid, notpaid,
// overdue or refunded; the full type is accepted too). For a refund total
// is the amount and payload "reason" is empty. Blank externalID, total and
// period are filled from the simulator's invoice invoiceID when it has
// one. It panics on an unknown kind.
func (s *Sim) InvoiceEvent(kind, installationID, invoiceID, externalID, total string, period Period) WebhookEvent {
	typ := kind
	if !strings.HasPrefix(typ, "marketplace.invoice.") {
		typ = "marketplace.invoice." + kind
	}
	if !slices.Contains([]string{EventInvoiceCreated, EventInvoicePaid, EventInvoiceNotPaid, EventInvoiceOverdue, EventInvoiceRefunded}, typ) {
		panic(fmt.Sprintf("vercelsim: InvoiceEvent: unknown kind %q", kind))
	}
	date, reason := stamp(s.now()), ""
	if inv, ok := s.Invoice(installationID, invoiceID); ok {
		externalID = cmpOr(externalID, inv.ExternalID)
		if typ == EventInvoiceRefunded {
			total = cmpOr(total, inv.RefundTotal)
			reason = inv.RefundReason
		}
		total = cmpOr(total, inv.Total)
		period.Start, period.End = cmpOr(period.Start, inv.Period.Start), cmpOr(period.End, inv.Period.End)
		date = inv.InvoiceDate
	}
	var external any
	if externalID != "" {
		external = externalID
	}
	payload := map[string]any{
		"configuration":     map[string]any{"id": installationID},
		"installationId":    installationID,
		"invoiceId":         invoiceID,
		"externalInvoiceId": external,
		"period":            map[string]any{"start": period.Start, "end": period.End},
	}
	if typ == EventInvoiceRefunded {
		payload["amount"], payload["reason"] = total, reason
	} else {
		payload["invoiceDate"], payload["invoiceTotal"] = date, total
	}
	return s.CustomEvent(typ, payload)
}

// TransferredEvent is integration-configuration.transferred: the
// installation moved from one team and account to another.
func (s *Sim) TransferredEvent(installationID, previousTeam, previousAccount, newTeam, newAccount string) WebhookEvent {
	return s.CustomEvent(EventTransferred, map[string]any{
		"configuration": map[string]any{"id": installationID}, "installationId": installationID,
		"previousTeamId": previousTeam, "previousAccountId": previousAccount, "newTeamId": newTeam, "newAccountId": newAccount,
	})
}

// ScopeChangeConfirmedEvent is
// integration-configuration.scope-change-confirmed with the new scopes.
func (s *Sim) ScopeChangeConfirmedEvent(installationID string, scopes []string) WebhookEvent {
	return s.CustomEvent(EventScopeChangeConfirmed, map[string]any{
		"team": map[string]any{"id": "team_" + AccountHex(installationID)}, "user": map[string]any{"id": DefaultAdminUserID},
		"configuration": map[string]any{"id": installationID, "scopes": nonNilStrings(scopes)},
	})
}

// PermissionUpgradedEvent is integration-configuration.permission-upgraded:
// projects the installation may now reach, and those it no longer may.
func (s *Sim) PermissionUpgradedEvent(installationID, selection string, added, removed []string) WebhookEvent {
	return s.CustomEvent(EventPermissionUpgraded, map[string]any{
		"team": map[string]any{"id": "team_" + AccountHex(installationID)}, "user": map[string]any{"id": DefaultAdminUserID},
		"configuration": map[string]any{"id": installationID, "projectSelection": selection, "projects": nonNilStrings(added)},
		"projects":      map[string]any{"added": nonNilStrings(added), "removed": nonNilStrings(removed)},
	})
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// MemberChangedEvent is marketplace.member.changed; role is ADMIN, USER or
// NONE (removed). globalUserId and userEmail come from a known member.
func (s *Sim) MemberChangedEvent(installationID, memberID, role string) WebhookEvent {
	payload := map[string]any{
		"configuration":  map[string]any{"id": installationID},
		"installationId": installationID,
		"memberId":       memberID,
		"role":           role,
	}
	s.mu.Lock()
	if m, ok := s.inst(installationID).members[memberID]; ok {
		payload["globalUserId"], payload["userEmail"] = m.GlobalUserID, m.UserEmail
	}
	s.mu.Unlock()
	return s.CustomEvent(EventMemberChanged, payload)
}

// ProjectConnectedEvent is integration-resource.project-connected; targets
// are production, preview and/or development.
func (s *Sim) ProjectConnectedEvent(installationID, resourceID string, project Project, targets []string) WebhookEvent {
	return s.CustomEvent(EventProjectConnected, projectPayload(installationID, resourceID, project,
		map[string]any{"id": project.ID, "name": project.Name}, targets))
}

// ProjectDisconnectedEvent is integration-resource.project-disconnected.
func (s *Sim) ProjectDisconnectedEvent(installationID, resourceID, projectID string, targets []string) WebhookEvent {
	return s.CustomEvent(EventProjectDisconnected, projectPayload(installationID, resourceID, Project{ID: projectID},
		map[string]any{"id": projectID}, targets))
}

func projectPayload(installationID, resourceID string, p Project, project map[string]any, targets []string) map[string]any {
	if targets == nil {
		targets = []string{}
	}
	return map[string]any{
		"configuration":  map[string]any{"id": installationID},
		"installationId": installationID,
		"resourceId":     resourceID,
		"project":        project,
		"projectId":      p.ID,
		"targets":        targets,
	}
}

// WebhookOption changes one webhook delivery.
type WebhookOption func(*webhookConfig)

type webhookConfig struct {
	id           string
	badSignature bool
	noSignature  bool
}

// WithEventID sends the event under id (to test dedupe).
func WithEventID(id string) WebhookOption { return func(c *webhookConfig) { c.id = id } }

// WithBadSignature signs with the wrong key: well-formed, but invalid.
func WithBadSignature() WebhookOption { return func(c *webhookConfig) { c.badSignature = true } }

// WithoutSignature sends no x-vercel-signature header.
func WithoutSignature() WebhookOption { return func(c *webhookConfig) { c.noSignature = true } }

// DeliverWebhook POSTs ev to url as Vercel does and returns the status
// answered. A correctly signed invoice or member event first updates the
// simulator's invoice or member, so getInvoice and getMember agree with it.
func (s *Sim) DeliverWebhook(ctx context.Context, url string, ev WebhookEvent, opts ...WebhookOption) (int, error) {
	var c webhookConfig
	for _, o := range opts {
		o(&c)
	}
	ev.ID = cmpOr(c.id, ev.ID)
	body, err := json.Marshal(ev)
	if err != nil {
		return 0, fmt.Errorf("vercelsim: marshal webhook: %w", err)
	}
	sig := s.WebhookSignature(body)
	switch {
	case c.noSignature:
		sig = ""
	case c.badSignature:
		sig = signWith([]byte(s.opts.ClientSecret+"-wrong"), body)
	default:
		s.syncWebhook(ev.Type, ev.Payload)
	}
	resp, err := s.postWebhook(ctx, url, body, sig)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

func (s *Sim) postWebhook(ctx context.Context, url string, body []byte, sig string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if sig != "" {
		req.Header.Set("x-vercel-signature", sig)
	}
	return s.client.Do(req)
}

// syncWebhook applies what an event says to the simulator's own state.
func (s *Sim) syncWebhook(eventType string, payload map[string]any) {
	inst, _ := payload["installationId"].(string)
	if inst == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.inst(inst)
	switch eventType {
	case EventMemberChanged:
		syncMember(in, payload)
		return
	case EventProjectConnected, EventProjectDisconnected:
		rid, _ := payload["resourceId"].(string)
		project, _ := payload["project"].(map[string]any)
		id, _ := payload["projectId"].(string)
		name, _ := project["name"].(string)
		if rid != "" && id != "" {
			in.connect(rid, Project{ID: id, Name: name}, eventType == EventProjectConnected)
		}
		return
	}
	id, _ := payload["invoiceId"].(string)
	inv, ok := in.invoices[id]
	if !ok {
		return
	}
	now := stamp(s.now())
	switch eventType {
	case EventInvoicePaid:
		inv.State, inv.PaidAt = "paid", now
	case EventInvoiceNotPaid, EventInvoiceOverdue:
		inv.State = strings.TrimPrefix(eventType, "marketplace.invoice.")
	case EventInvoiceRefunded:
		inv.State, inv.RefundedAt = "refunded", now
		if v, ok := payload["amount"].(string); ok && v != "" {
			inv.RefundTotal = v
		}
		if v, ok := payload["reason"].(string); ok && v != "" {
			inv.RefundReason = v
		}
	default:
		return
	}
	inv.Updated = now
}

// syncMember applies a member.changed payload; callers hold s.mu.
func syncMember(in *installation, payload map[string]any) {
	id, _ := payload["memberId"].(string)
	role, _ := payload["role"].(string)
	if id == "" || role == "" {
		return
	}
	if role == "NONE" {
		delete(in.members, id)
		return
	}
	m, ok := in.members[id]
	if !ok {
		m = Member{ID: id, GlobalUserID: hexID("global:" + id), UserEmail: id + "@acme.dev"}
	}
	m.Role = role
	in.members[id] = m
}
