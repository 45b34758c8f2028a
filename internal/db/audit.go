package db

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/vercel-partner/partner-server/internal/installations"
)

// Audit implements installations.AuditStore.
type Audit struct {
	db    *DB
	batch auditBatch
	// wait bounds how long a PostgreSQL read waits for transactions that
	// hold back entries committed before it began (feed.go).
	wait time.Duration
}

// NewAudit returns the audit log store.
func NewAudit(d *DB) *Audit { return &Audit{db: d, wait: feedWait} }

var _ installations.AuditStore = (*Audit)(nil)

// AppendAudit records e in the audit log, in a transaction of its own,
// and returns once it is committed. Entries written at the same moment
// share one transaction: the oldest waiting caller writes up to
// maxAuditBatch of them, in one statement, then hands the writing on; the
// others wait for the commit that holds theirs. One commit per batch
// instead of one per entry.
func (s *Audit) AppendAudit(ctx context.Context, e installations.AuditEntry) error {
	return s.batch.add(e, func(batch []installations.AuditEntry) error {
		ctx := context.WithoutCancel(ctx) // the batch holds other callers' entries too
		return s.db.Tx(ctx, func(x *sqlx.Tx) error { return appendAudits(ctx, x, batch) })
	})
}

// maxAuditBatch bounds the entries of one transaction.
const maxAuditBatch = 100

// auditBatch gathers entries waiting to be written; a caller that finds
// no writer at work, or is handed the writing, writes the next batch.
type auditBatch struct {
	mu      sync.Mutex
	writing bool
	waiting []auditWait
}

type auditWait struct {
	e    installations.AuditEntry
	done chan error
}

func (b *auditBatch) add(e installations.AuditEntry, write func([]installations.AuditEntry) error) error {
	done := make(chan error, 1)
	b.mu.Lock()
	b.waiting = append(b.waiting, auditWait{e, done})
	if b.writing {
		b.mu.Unlock()
		if err := <-done; err != errAuditLead {
			return err
		}
		b.mu.Lock()
	}
	b.writing = true
	n := min(len(b.waiting), maxAuditBatch)
	batch := b.waiting[:n:n]
	b.waiting = b.waiting[n:]
	b.mu.Unlock()
	entries := make([]installations.AuditEntry, len(batch))
	for i, w := range batch {
		entries[i] = w.e
	}
	err := write(entries)
	for _, w := range batch {
		w.done <- err
	}
	b.handOver()
	return <-done
}

// errAuditLead tells a waiting caller its entry is not written yet and it
// is now the writer.
var errAuditLead = errors.New("audit: write the next batch")

// handOver passes the writing to the oldest waiting caller, so no caller
// writes batch after batch for others while its own answer waits.
func (b *auditBatch) handOver() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.waiting) == 0 {
		b.writing = false
		return
	}
	b.waiting[0].done <- errAuditLead
}

// appendAudit adds e inside the caller's transaction.
func appendAudit(ctx context.Context, x *sqlx.Tx, e installations.AuditEntry) error {
	return appendAudits(ctx, x, []installations.AuditEntry{e})
}

// appendAudits adds entries inside the caller's transaction, in one
// statement. Ids are numbered like events': the rowid on SQLite (one
// writer, so in commit order), the audit_seq sequence on PostgreSQL with
// the transaction's id beside it (migration 0102), so no lock is held to
// the commit and readers follow the log as they follow the feed.
func appendAudits(ctx context.Context, x *sqlx.Tx, entries []installations.AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	var q strings.Builder
	q.WriteString(`INSERT INTO audit_log (at, actor, actor_kind, action, installation_id, target, delivery_id, request_id, detail) VALUES `)
	args := make([]any, 0, 9*len(entries))
	for i, e := range entries {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?)")
		e = e.Storable()
		args = append(args, Millis(e.At), e.Actor, e.ActorKind, e.Action, e.InstallationID,
			e.Target, e.DeliveryID, e.RequestID, e.Detail)
	}
	res, err := x.ExecContext(ctx, x.Rebind(q.String()), args...)
	if err != nil {
		return fmt.Errorf("append audit entry: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n != int64(len(entries)) {
		return fmt.Errorf("append audit entry: %d rows written, want %d", n, len(entries))
	}
	return nil
}

type auditRow struct {
	ID             int64  `db:"id"`
	At             int64  `db:"at"`
	Actor          string `db:"actor"`
	ActorKind      string `db:"actor_kind"`
	Action         string `db:"action"`
	InstallationID string `db:"installation_id"`
	Target         string `db:"target"`
	DeliveryID     string `db:"delivery_id"`
	RequestID      string `db:"request_id"`
	Detail         string `db:"detail"`
}

func (r auditRow) domain() installations.AuditEntry {
	return installations.AuditEntry{ID: r.ID, At: FromMillis(r.At), Actor: r.Actor, ActorKind: r.ActorKind, Action: r.Action,
		InstallationID: r.InstallationID, Target: r.Target, DeliveryID: r.DeliveryID, RequestID: r.RequestID, Detail: r.Detail}
}

const auditCols = `id, at, actor, actor_kind, action, installation_id, target, delivery_id, request_id, detail`

var auditFeed = feedOf("audit_log", `e.id, e.at, e.actor, e.actor_kind, e.action, e.installation_id, e.target,
	e.delivery_id, e.request_id, e.detail`)

// AuditAfter lists the entries that follow the entry whose id is after
// (0: the start), in commit order: by id on SQLite, as the feed on
// PostgreSQL (feed.go).
func (s *Audit) AuditAfter(ctx context.Context, after int64, limit int) ([]installations.AuditEntry, error) {
	if s.db.Driver == "postgres" {
		rows, err := readFeed(ctx, s.db, s.wait, auditFeed, after, limit, func(r auditRow) int64 { return r.ID })
		return domains(rows), err
	}
	var rows []auditRow
	if err := s.db.Read.SelectContext(ctx, &rows, s.db.Rebind(`SELECT `+auditCols+` FROM audit_log
		WHERE id > ? ORDER BY id LIMIT ?`), after, limit); err != nil {
		return nil, fmt.Errorf("list audit log: %w", err)
	}
	return domains(rows), nil
}

// AuditBefore lists the entries before the entry whose id is before (0:
// from the newest), newest first, in the order AuditAfter reads them.
func (s *Audit) AuditBefore(ctx context.Context, before int64, limit int) ([]installations.AuditEntry, error) {
	order := "id"
	if s.db.Driver == "postgres" {
		order = "xid, id"
	}
	q, args := `SELECT `+auditCols+` FROM audit_log e ORDER BY `+desc(order)+` LIMIT ?`, []any{limit}
	if before > 0 {
		q = `SELECT ` + auditCols + ` FROM audit_log e WHERE (` + order + `) < (SELECT ` + order + ` FROM audit_log WHERE id = ?)
			ORDER BY ` + desc(order) + ` LIMIT ?`
		args = []any{before, limit}
	}
	var rows []auditRow
	if err := s.db.Read.SelectContext(ctx, &rows, s.db.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("list audit log: %w", err)
	}
	return domains(rows), nil
}

// desc is an ORDER BY list of columns, each descending.
func desc(cols string) string { return strings.ReplaceAll(cols, ",", " DESC,") + " DESC" }
