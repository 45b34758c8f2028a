package installations

import (
	"encoding/json"
	"time"
)

// Delivery states. A pending delivery is still being tried; delivered,
// rejected (Vercel refused it for good), dead (given up) and superseded
// (a newer change of the same thing was queued before it was sent) are
// final.
const (
	DeliveryPending    = "pending"
	DeliveryDelivered  = "delivered"
	DeliveryRejected   = "rejected"
	DeliveryDead       = "dead"
	DeliverySuperseded = "superseded"
)

// Delivery is one write forwarded to Vercel and what became of it.
type Delivery struct {
	ID             string
	Seq            int64 // acceptance order
	InstallationID string
	Operation      string
	Target         string // the resource or invoice the call names, if any
	OrderKey       string // writes sharing it reach Vercel in Seq order
	// LatestKey, when set, names the thing only the newest pending write
	// of which is worth sending: recording a newer one supersedes the
	// older ones no attempt holds.
	LatestKey     string
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	// Leases counts the attempts started; more than the attempts recorded
	// means an earlier attempt's outcome is unknown (it may have landed).
	Leases int
	// Repeats counts consecutive failures with the same answer.
	Repeats int
	// ResultStatus is Vercel's HTTP status of the final answer (0 if none).
	ResultStatus int
	// Result is Vercel's body: the success body (null when it has none) or
	// the refusal body.
	Result     json.RawMessage
	CreatedAt  time.Time
	UpdatedAt  time.Time
	FinishedAt *time.Time
	// IdemKey is the Idempotency-Key that made the delivery, if any: one
	// delivery per key, so a retried request finds the first delivery.
	IdemKey string
	// Body is the stored request, sealed by a Vault when BodyKeyID is set.
	Body      string
	BodyKeyID string
	// RetriedAt is when an operator last brought the delivery back after
	// it died (zero if never); its age counts from then.
	RetriedAt time.Time
}

// AgeFrom is when the delivery's age starts: its acceptance, or the
// operator's latest retry of it after it died.
func (d Delivery) AgeFrom() time.Time {
	if d.RetriedAt.After(d.CreatedAt) {
		return d.RetriedAt
	}
	return d.CreatedAt
}

// Final reports whether nothing more will happen to d.
func (d Delivery) Final() bool { return d.Status != DeliveryPending }
