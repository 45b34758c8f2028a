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
// back a little longer. pg_locks gives a transaction's id in 32 bits, and
// an advisory lock's 64-bit key as two 32-bit halves (classid, objid),
// compared one by one: other advisory locks (ordering keys) use the whole
// 64-bit range.
var feedHorizon = fmt.Sprintf(`snap AS (SELECT pg_current_snapshot() AS s),
	migrating AS (SELECT CAST(CAST(t.transactionid AS TEXT) AS BIGINT) AS xid32
		FROM pg_locks a JOIN pg_locks t ON t.virtualtransaction = a.virtualtransaction
		WHERE a.locktype = 'advisory' AND a.granted AND a.objsubid = 1
		AND CAST(a.classid AS BIGINT) = %d AND CAST(a.objid AS BIGINT) = %d
		AND t.locktype = 'transactionid' AND t.granted),
	h AS (SELECT COALESCE(
		(SELECT MIN(x) FROM snap, pg_snapshot_xip(snap.s) AS x
			WHERE CAST(CAST(x AS TEXT) AS BIGINT) %% 4294967296 NOT IN (SELECT xid32 FROM migrating)),
		(SELECT pg_snapshot_xmax(s) FROM snap)) AS xmin)`, uint64(migrationLock)>>32, uint64(migrationLock)&0xFFFFFFFF)

// feedQueries read one table as a feed: the events, the audit log.
type feedQueries struct {
	// page reads the page after cursor $1 (0: the start) up to the
	// horizon. With a cursor, the cursor's own row comes first, which
	// proves the cursor names a row the feed handed out.
	page string
	// held is the newest transaction whose committed rows the horizon
	// still holds back (empty when none).
	held string
}

// feedOf is the feed of table, reading cols (each prefixed "e.").
func feedOf(table, cols string) feedQueries {
	return feedQueries{
		page: `WITH ` + feedHorizon + `,
	c AS (SELECT xid FROM ` + table + ` WHERE id = $1 UNION ALL SELECT CAST('0' AS xid8) WHERE $1 = 0)
	SELECT ` + cols + `
	FROM ` + table + ` e, h, c
	WHERE (e.xid, e.id) >= (c.xid, $1) AND e.xid < h.xmin
	ORDER BY e.xid, e.id LIMIT $2`,
		held: `WITH ` + feedHorizon + `
	SELECT COALESCE(CAST(MAX(e.xid) AS TEXT), '') FROM ` + table + ` e, h WHERE e.xid >= h.xmin`,
	}
}

var eventFeed = feedOf("events", `e.id, e.type, e.installation_id, e.subject, e.data, e.created_at`)

// feedPassed reports whether every transaction up to $1 has ended.
var feedPassed = `WITH ` + feedHorizon + ` SELECT h.xmin > CAST($1 AS xid8) FROM h`

var errUnknownCursor = apperr.InvalidFields("invalid query",
	apperr.Field{Key: "after", Message: "must be 0 or a cursor returned by this feed"})

func (s *Events) feedAfter(ctx context.Context, after int64, limit int) ([]installations.Event, error) {
	rows, err := readFeed(ctx, s.db, s.wait, eventFeed, after, limit, func(r eventRow) int64 { return r.ID })
	return domains(rows), err
}

// readFeed reads the page of q after cursor after: first what the horizon
// holds back now, then the page; once every transaction up to held has
// ended, the page's own horizon is past every row committed before this
// call. A cursor naming no row the feed handed out is Invalid.
func readFeed[R any](ctx context.Context, d *DB, wait time.Duration, q feedQueries, after int64, limit int,
	id func(R) int64) ([]R, error) {
	var held string
	if err := d.GetContext(ctx, &held, q.held); err != nil {
		return nil, fmt.Errorf("read horizon: %w", err)
	}
	if held != "" {
		if err := waitPast(ctx, d, wait, held); err != nil {
			return nil, err
		}
	}
	n := limit
	if after != 0 {
		n++
	}
	var rows []R
	if err := d.SelectContext(ctx, &rows, q.page, after, n); err != nil {
		return nil, fmt.Errorf("read feed: %w", err)
	}
	if after == 0 {
		return rows, nil
	}
	if len(rows) == 0 || id(rows[0]) != after {
		return nil, errUnknownCursor
	}
	return rows[1:], nil
}

// waitPast polls until every transaction up to xid has ended, for at most
// wait or until ctx ends.
func waitPast(ctx context.Context, d *DB, wait time.Duration, xid string) error {
	deadline := time.Now().Add(wait)
	pause := time.Millisecond
	for {
		var passed bool
		if err := d.GetContext(ctx, &passed, feedPassed, xid); err != nil {
			return fmt.Errorf("read horizon: %w", err)
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
