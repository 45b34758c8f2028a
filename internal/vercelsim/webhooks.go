package vercelsim

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
)

// WebhookSignature is the x-vercel-signature of body: lowercase hex
// HMAC-SHA1 keyed with the client secret.
func (s *Sim) WebhookSignature(body []byte) string {
	return signWith([]byte(s.opts.ClientSecret), body)
}

func signWith(key, body []byte) string {
	mac := hmac.New(sha1.New, key)
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// SendWebhook POSTs event as JSON to url, signed like Vercel signs
// webhooks, and syncs the simulator's state like DeliverWebhook. The
// caller closes the response body.
func (s *Sim) SendWebhook(ctx context.Context, url string, event map[string]any) (*http.Response, error) {
	body, err := json.Marshal(event)
	if err != nil {
		return nil, fmt.Errorf("vercelsim: marshal webhook: %w", err)
	}
	typ, _ := event["type"].(string)
	payload, _ := event["payload"].(map[string]any)
	s.syncWebhook(typ, payload)
	return s.postWebhook(ctx, url, body, s.WebhookSignature(body))
}

// NewWebhookEvent wraps payload in Vercel's webhook envelope with a fresh
// delivery id.
func (s *Sim) NewWebhookEvent(eventType string, payload map[string]any) map[string]any {
	return map[string]any{
		"id":        newID("evt_"),
		"type":      eventType,
		"createdAt": s.now().UnixMilli(),
		"region":    "iad1",
		"payload":   payload,
	}
}

// InvoiceWebhook builds a marketplace.invoice.* event (created, paid,
// notpaid, overdue or refunded) from the invoice's current state.
func (s *Sim) InvoiceWebhook(installationID, invoiceID, eventType string) (map[string]any, error) {
	inv, ok := s.Invoice(installationID, invoiceID)
	if !ok {
		return nil, fmt.Errorf("vercelsim: invoice %s/%s not found", installationID, invoiceID)
	}
	var external any
	if inv.ExternalID != "" {
		external = inv.ExternalID
	}
	payload := map[string]any{
		"configuration":     map[string]any{"id": installationID},
		"installationId":    installationID,
		"invoiceId":         inv.InvoiceID,
		"externalInvoiceId": external,
		"period":            map[string]any{"start": inv.Period.Start, "end": inv.Period.End},
	}
	switch eventType {
	case "marketplace.invoice.created", "marketplace.invoice.paid", "marketplace.invoice.notpaid", "marketplace.invoice.overdue":
		payload["invoiceDate"] = inv.InvoiceDate
		payload["invoiceTotal"] = inv.Total
	case "marketplace.invoice.refunded":
		payload["amount"] = inv.RefundTotal
		payload["reason"] = inv.RefundReason
	default:
		return nil, fmt.Errorf("vercelsim: %q is not an invoice event", eventType)
	}
	return s.NewWebhookEvent(eventType, payload), nil
}
