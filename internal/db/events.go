package db

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/vercel-partner/partner-server/internal/installations"
)

// rowidNumbers reports whether tx is on SQLite, where deliveries are
// numbered by their rowid (migration 0012): inserting NULL takes the next
// one, and with one writer at a time rowids commit in the order they are
// handed out.
func rowidNumbers(tx *sqlx.Tx) bool { return tx.DriverName() == "sqlite" }

// insertEvent takes the event's number from the table: on SQLite the
// rowid, in commit order (one writer); on PostgreSQL the events_seq
// sequence, with the writing transaction's id beside it (migration 0100),
// so no lock is held from the insert to the commit (see feed.go).
const insertEvent = `INSERT INTO events (type, installation_id, subject, data, created_at) VALUES (?, ?, ?, ?, ?)`

// appendEvent adds an event to the feed inside the caller's transaction.
func appendEvent(ctx context.Context, tx *sqlx.Tx, e installations.NewEvent, now time.Time) error {
	raw, err := eventData(e)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(insertEvent), e.Type, e.InstallationID, e.Subject, string(raw), Millis(now)); err != nil {
		return fmt.Errorf("append event: %w", err)
	}
	return nil
}

// eventData is the event's data as JSON ({} when nil).
func eventData(e installations.NewEvent) ([]byte, error) {
	if pre, ok := e.Data.(json.RawMessage); ok {
		return pre, nil // already encoded: skip a Marshal, which would only compact it
	}
	if e.Data == nil {
		return []byte("{}"), nil
	}
	b, err := json.Marshal(e.Data)
	if err != nil {
		return nil, fmt.Errorf("event data: %w", err)
	}
	return b, nil
}

// Events implements installations.EventStore.
type Events struct {
	db *DB
	// wait bounds how long a PostgreSQL read waits for transactions that
	// hold back events committed before it began (feed.go).
	wait time.Duration
}

// NewEvents returns the feed reader.
func NewEvents(d *DB) *Events { return &Events{db: d, wait: feedWait} }

type eventRow struct {
	ID             int64  `db:"id"`
	Type           string `db:"type"`
	InstallationID string `db:"installation_id"`
	Subject        string `db:"subject"`
	Data           string `db:"data"`
	CreatedAt      int64  `db:"created_at"`
}

func (r eventRow) domain() installations.Event {
	return installations.Event{ID: r.ID, Type: r.Type, InstallationID: r.InstallationID, Subject: r.Subject,
		Data: json.RawMessage(r.Data), CreatedAt: FromMillis(r.CreatedAt)}
}

// EventsAfter returns up to limit events that follow the event whose id
// is after (0: the start), in commit order. On SQLite ids grow in commit
// order; on PostgreSQL they need not (feed.go), and a cursor that names
// no event the feed handed out is Invalid.
func (s *Events) EventsAfter(ctx context.Context, after int64, limit int) ([]installations.Event, error) {
	if s.db.Driver == "postgres" {
		return s.feedAfter(ctx, after, limit)
	}
	var rows []eventRow
	if err := s.db.Read.SelectContext(ctx, &rows, s.db.Rebind(`SELECT id, type, installation_id, subject, data, created_at
		FROM events WHERE id > ? ORDER BY id LIMIT ?`), after, limit); err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return domains(rows), nil
}
