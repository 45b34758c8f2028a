package db

import (
	"context"
	"fmt"
	"strings"

	"github.com/vercel-partner/partner-server/internal/installations"
)

var _ installations.WebhookLog = (*Webhooks)(nil)

// RecentWebhooks lists received webhook events matching f, newest first.
func (s *Webhooks) RecentWebhooks(ctx context.Context, f installations.WebhookFilter) ([]installations.ReceivedWebhook, error) {
	var where []string
	var args []any
	if f.Type != "" {
		where, args = append(where, "type = ?"), append(args, f.Type)
	}
	if f.InstallationID != "" {
		where, args = append(where, "installation_id = ?"), append(args, f.InstallationID)
	}
	if !f.BeforeAt.IsZero() {
		at := Millis(f.BeforeAt)
		where, args = append(where, "(received_at < ? OR (received_at = ? AND id < ?))"), append(args, at, at, f.BeforeID)
	}
	q := `SELECT id, type, installation_id, body, sent_at, received_at FROM webhook_events`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	var rows []struct {
		ID             string `db:"id"`
		Type           string `db:"type"`
		InstallationID string `db:"installation_id"`
		Body           string `db:"body"`
		SentAt         int64  `db:"sent_at"`
		ReceivedAt     int64  `db:"received_at"`
	}
	if err := s.db.Read.SelectContext(ctx, &rows, s.db.Rebind(q+` ORDER BY received_at DESC, id DESC LIMIT ?`), append(args, f.Limit)...); err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	out := make([]installations.ReceivedWebhook, len(rows))
	for i, r := range rows {
		out[i] = installations.ReceivedWebhook{ID: r.ID, Type: r.Type, InstallationID: r.InstallationID, Body: r.Body,
			SentAt: optionalTime(r.SentAt), ReceivedAt: FromMillis(r.ReceivedAt)}
	}
	return out, nil
}
