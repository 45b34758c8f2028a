package db

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/vercel-partner/partner-server/internal/installations"
)

// rowidNumbers reports whether tx is on SQLite, where events and
// deliveries are numbered by their rowid (migration 0012): inserting NULL
// takes the next one, and with one writer at a time rowids commit in the
// order they are handed out.
func rowidNumbers(tx *sqlx.Tx) bool { return tx.DriverName() == "sqlite" }

// appendEvent adds an event to the feed inside the caller's transaction.
func appendEvent(ctx context.Context, tx *sqlx.Tx, e installations.NewEvent, now time.Time) error {
	raw := []byte("{}")
	if pre, ok := e.Data.(json.RawMessage); ok {
		raw = pre // already encoded: skip a Marshal, which would only compact it
	} else if e.Data != nil {
		b, err := json.Marshal(e.Data)
		if err != nil {
			return fmt.Errorf("event data: %w", err)
		}
		raw = b
	}
	q := `INSERT INTO events (id, type, installation_id, subject, data, created_at) VALUES (NULL, ?, ?, ?, ?, ?)`
	if !rowidNumbers(tx) {
		// The counter row stays locked until tx ends, so event ids commit
		// in order; one statement keeps the lock one round trip shorter.
		q = `WITH n AS (UPDATE counters SET value = value + 1 WHERE name = 'events' RETURNING value)
			INSERT INTO events (id, type, installation_id, subject, data, created_at) SELECT n.value, ?, ?, ?, ?, ? FROM n`
	}
	res, err := tx.ExecContext(ctx, tx.Rebind(q), e.Type, e.InstallationID, e.Subject, string(raw), Millis(now))
	if err != nil {
		return fmt.Errorf("append event: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n != 1 {
		return fmt.Errorf("append event: %d rows written", n)
	}
	return nil
}

// Events implements installations.EventStore.
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

// EventsAfter returns up to limit events with an id greater than after, oldest first.
func (s *Events) EventsAfter(ctx context.Context, after int64, limit int) ([]installations.Event, error) {
	var rows []eventRow
	if err := s.db.Read.SelectContext(ctx, &rows, s.db.Rebind(`SELECT id, type, installation_id, subject, data, created_at
		FROM events WHERE id > ? ORDER BY id LIMIT ?`), after, limit); err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	out := make([]installations.Event, len(rows))
	for i, r := range rows {
		out[i] = installations.Event{ID: r.ID, Type: r.Type, InstallationID: r.InstallationID, Subject: r.Subject,
			Data: json.RawMessage(r.Data), CreatedAt: FromMillis(r.CreatedAt)}
	}
	return out, nil
}
