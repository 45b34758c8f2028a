package db

import (
	"context"
	"fmt"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// The PostgreSQL feed. Writers take event ids from a sequence and commit
// in any order; each event keeps its transaction's id (xid). A reader
// returns only events whose transaction is older than the oldest one
// still in progress (the snapshot's xmin): every such transaction has
// ended, so no event can later appear before what was returned. The feed
// is ordered by (xid, id); a cursor is the id of the last event returned,
// and the reader finds its place by that event's xid. Events written
// before migration 0100 have xid 0 and come first, in id order.
//
// The price: an event becomes readable only once every transaction that
// began writing before it has ended, anywhere on the PostgreSQL server
// (migrations aside: see feedHorizon).
// A read waits (up to feedWait) for the transactions holding back events
// that had committed when it began, so a service that reads right after a
// write sees it.

// feedWait bounds that wait; a longer transaction delays the events
// behind it to a later read, never loses them.
const feedWait = 2 * time.Second

// feedHorizon is the CTE h: the oldest transaction in progress in this
// statement's snapshot, leaving out any that holds the migration lock (a
// replica migrating at start-up, or a test making a fresh schema, may hold
// its transaction for seconds; migrations never append to the feed), or
// the snapshot's xmax when none is left. A transaction that finished after
// the snapshot is still counted as in progress, which only holds events
// back a little longer. pg_locks gives a transaction's id in 32 bits.
var feedHorizon = fmt.Sprintf(`snap AS (SELECT pg_current_snapshot() AS s),
	migrating AS (SELECT CAST(CAST(t.transactionid AS TEXT) AS BIGINT) AS xid32
		FROM pg_locks a JOIN pg_locks t ON t.virtualtransaction = a.virtualtransaction
		WHERE a.locktype = 'advisory' AND a.granted AND a.objsubid = 1
		AND CAST(a.classid AS BIGINT) * 4294967296 + CAST(a.objid AS BIGINT) = %d
		AND t.locktype = 'transactionid' AND t.granted),
	h AS (SELECT COALESCE(
		(SELECT MIN(x) FROM snap, pg_snapshot_xip(snap.s) AS x
			WHERE CAST(CAST(x AS TEXT) AS BIGINT) %% 4294967296 NOT IN (SELECT xid32 FROM migrating)),
		(SELECT pg_snapshot_xmax(s) FROM snap)) AS xmin)`, migrationLock)

// feedPage reads the page after cursor $1 (0: the start) up to the
// horizon. With a cursor, the cursor's own event comes first, which
// proves the cursor names an event the feed handed out.
var feedPage = `WITH ` + feedHorizon + `,
	c AS (SELECT xid FROM events WHERE id = $1 UNION ALL SELECT CAST('0' AS xid8) WHERE $1 = 0)
	SELECT e.id, e.type, e.installation_id, e.subject, e.data, e.created_at
	FROM events e, h, c
	WHERE (e.xid, e.id) >= (c.xid, $1) AND e.xid < h.xmin
	ORDER BY e.xid, e.id LIMIT $2`

// feedHeld is the newest transaction whose committed events the horizon
// still holds back (empty when none).
var feedHeld = `WITH ` + feedHorizon + `
	SELECT COALESCE(CAST(MAX(e.xid) AS TEXT), '') FROM events e, h WHERE e.xid >= h.xmin`

// feedPassed reports whether every transaction up to $1 has ended.
var feedPassed = `WITH ` + feedHorizon + ` SELECT h.xmin > CAST($1 AS xid8) FROM h`

var errUnknownCursor = apperr.InvalidFields("invalid query",
	apperr.Field{Key: "after", Message: "must be 0 or a cursor returned by this feed"})

func (s *Events) feedAfter(ctx context.Context, after int64, limit int) ([]installations.Event, error) {
	// First what the horizon holds back now, then the page: once every
	// transaction up to held has ended, the page's own horizon is past
	// every event committed before this call.
	var held string
	if err := s.db.GetContext(ctx, &held, feedHeld); err != nil {
		return nil, fmt.Errorf("read event horizon: %w", err)
	}
	if held != "" {
		if err := s.waitPast(ctx, held); err != nil {
			return nil, err
		}
	}
	return s.page(ctx, after, limit)
}

// page is one read of feedPage, without the cursor's own event.
func (s *Events) page(ctx context.Context, after int64, limit int) ([]installations.Event, error) {
	n := limit
	if after != 0 {
		n++
	}
	var rows []eventRow
	if err := s.db.SelectContext(ctx, &rows, feedPage, after, n); err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	if after == 0 {
		return domains(rows), nil
	}
	if len(rows) == 0 || rows[0].ID != after {
		return nil, errUnknownCursor
	}
	return domains(rows[1:]), nil
}

// waitPast polls until every transaction up to xid has ended, for at most
// s.wait or until ctx ends.
func (s *Events) waitPast(ctx context.Context, xid string) error {
	deadline := time.Now().Add(s.wait)
	pause := time.Millisecond
	for {
		var passed bool
		if err := s.db.GetContext(ctx, &passed, feedPassed, xid); err != nil {
			return fmt.Errorf("read event horizon: %w", err)
		}
		if passed || !time.Now().Add(pause).Before(deadline) {
			return nil
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		pause = min(2*pause, 20*time.Millisecond)
	}
}
