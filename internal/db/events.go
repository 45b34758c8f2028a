package db

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Event types of the feed internal services follow.
const (
	EventInstallationCreated = "installation.created"
	EventInstallationUpdated = "installation.updated"
	EventInstallationDeleted = "installation.deleted"
	EventResourceRenamed     = "resource.renamed"
	EventDeliveryDead        = "delivery.dead"
)

// Event is one entry of the feed. ID is its cursor: ids only grow and
// commit in order, so "everything after cursor N" never skips or repeats.
type Event struct {
	ID             int64           `json:"id"`
	Type           string          `json:"type"`
	InstallationID string          `json:"installationId,omitempty"`
	Subject        string          `json:"subject,omitempty"` // e.g. a resource or delivery id
	Data           json.RawMessage `json:"data"`
	CreatedAt      time.Time       `json:"createdAt"`
}

// NextSeqTx takes the next number of a counter (a row of counters) inside
// tx. On PostgreSQL the row stays locked until tx ends, so numbers of one
// counter commit in the order they were taken.
func NextSeqTx(ctx context.Context, tx *sqlx.Tx, name string) (int64, error) {
	var n int64
	err := tx.GetContext(ctx, &n, tx.Rebind(`UPDATE counters SET value = value + 1 WHERE name = ? RETURNING value`), name)
	if err != nil {
		return 0, fmt.Errorf("next %s number: %w", name, err)
	}
	return n, nil
}

// AppendEventTx adds an event to the feed inside the caller's transaction;
// data is marshalled to JSON (nil gives {}).
func AppendEventTx(ctx context.Context, tx *sqlx.Tx, typ, installationID, subject string, data any) error {
	raw := []byte("{}")
	if data != nil {
		b, err := json.Marshal(data)
		if err != nil {
			return fmt.Errorf("event data: %w", err)
		}
		raw = b
	}
	id, err := NextSeqTx(ctx, tx, "events")
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, tx.Rebind(`INSERT INTO events (id, type, installation_id, subject, data, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`), id, typ, installationID, subject, string(raw), Millis(time.Now()))
	if err != nil {
		return fmt.Errorf("append event: %w", err)
	}
	return nil
}

// Events reads the feed.
type Events struct{ db *DB }

// NewEvents returns the feed reader.
func NewEvents(d *DB) *Events { return &Events{db: d} }

type eventRow struct {
	ID             int64  `db:"id"`
	Type           string `db:"type"`
	InstallationID string `db:"installation_id"`
	Subject        string `db:"subject"`
	Data           string `db:"data"`
	CreatedAt      int64  `db:"created_at"`
}

// After returns up to limit events with an id greater than after, oldest first.
func (s *Events) After(ctx context.Context, after int64, limit int) ([]Event, error) {
	var rows []eventRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT id, type, installation_id, subject, data, created_at
		FROM events WHERE id > ? ORDER BY id LIMIT ?`), after, limit); err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	out := make([]Event, len(rows))
	for i, r := range rows {
		out[i] = Event{ID: r.ID, Type: r.Type, InstallationID: r.InstallationID, Subject: r.Subject,
			Data: json.RawMessage(r.Data), CreatedAt: FromMillis(r.CreatedAt)}
	}
	return out, nil
}
