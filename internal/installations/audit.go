package installations

import (
	"context"
	"strings"
	"sync/atomic"
	"time"
)

// Who acted, in an audit entry.
const (
	AuditStaff = "staff" // a person signed in to the staff console (Actor: their e-mail)
	AuditToken = "token" // a service on the internal API (Actor: its token's name)
)

// Bounds of an audit entry's texts.
const (
	maxAuditText   = 512
	maxAuditDetail = 1000
)

// AuditEntry is one recorded action. It never holds a token, a secret or
// a request body: only who, what, on what, and the request's id.
type AuditEntry struct {
	ID             int64     `json:"-"`
	At             time.Time `json:"at"`
	Actor          string    `json:"actor"`
	ActorKind      string    `json:"actorKind"`
	Action         string    `json:"action"`
	InstallationID string    `json:"installationId,omitempty"`
	Target         string    `json:"target,omitempty"`
	DeliveryID     string    `json:"deliveryId,omitempty"`
	RequestID      string    `json:"requestId,omitempty"`
	Detail         string    `json:"detail,omitempty"`
}

// Storable is e with every text storable and bounded.
func (e AuditEntry) Storable() AuditEntry {
	for _, f := range []*string{&e.Actor, &e.ActorKind, &e.Action, &e.InstallationID, &e.Target, &e.DeliveryID, &e.RequestID} {
		*f = boundText(*f, maxAuditText)
	}
	e.Detail = boundText(e.Detail, maxAuditDetail)
	return e
}

// boundText makes s storable and cuts it to at most n bytes on a rune
// boundary.
func boundText(s string, n int) string {
	s = StorableText(s)
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// AuditStore keeps the audit log. Ids grow in commit order.
type AuditStore interface {
	AppendAudit(ctx context.Context, e AuditEntry) error
	// AuditAfter is up to limit entries with an id above after, oldest
	// first (a reader following the log).
	AuditAfter(ctx context.Context, after int64, limit int) ([]AuditEntry, error)
	// AuditBefore is up to limit entries with an id below before (0: from
	// the newest), newest first (a person paging back).
	AuditBefore(ctx context.Context, before int64, limit int) ([]AuditEntry, error)
}

// PendingAudit is the audit entry of a request under way. The transaction
// that records the request's write to Vercel appends it there, so the
// entry commits with the write; a request whose write took another way
// has its entry appended once it is answered.
type PendingAudit struct {
	entry    func() AuditEntry
	recorded atomic.Bool
}

// NewPendingAudit is the pending entry entry describes; it is called when
// the entry is written, once the request knows its route.
func NewPendingAudit(entry func() AuditEntry) *PendingAudit { return &PendingAudit{entry: entry} }

// Entry is the entry as it stands.
func (p *PendingAudit) Entry() AuditEntry { return p.entry() }

// Recorded reports whether a committed transaction holds the entry.
func (p *PendingAudit) Recorded() bool { return p.recorded.Load() }

// MarkRecorded says a committed transaction holds the entry.
func (p *PendingAudit) MarkRecorded() { p.recorded.Store(true) }

type pendingAuditKey struct{}

// WithPendingAudit carries p with a request's context.
func WithPendingAudit(ctx context.Context, p *PendingAudit) context.Context {
	return context.WithValue(ctx, pendingAuditKey{}, p)
}

// PendingAuditOf is the request's pending entry (nil for none).
func PendingAuditOf(ctx context.Context) *PendingAudit {
	p, _ := ctx.Value(pendingAuditKey{}).(*PendingAudit)
	return p
}
