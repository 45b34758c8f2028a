package deliveries

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/metrics"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelcall"
)

// Options tune the service; zero values take the defaults noted.
type Options struct {
	FirstAttemptTimeout time.Duration // in-request attempt deadline; 3s
	AttemptTimeout      time.Duration // background attempt deadline; 30s
	MaxAge              time.Duration // a delivery still failing after this is dead; 72h
	BaseBackoff         time.Duration // wait after the first failure; 1s
	MaxBackoff          time.Duration // cap on the wait; 5m
	Workers             int           // concurrent background attempts; 8
	PollInterval        time.Duration // idle re-check of the table; 1s
	// DeadAfterRepeats: a delivery that Vercel answers with the same
	// error this many times in a row cannot heal and goes dead; 10.
	DeadAfterRepeats int
}

func (o *Options) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.FirstAttemptTimeout, 3*time.Second)
	def(&o.AttemptTimeout, 30*time.Second)
	def(&o.MaxAge, 72*time.Hour)
	def(&o.BaseBackoff, time.Second)
	def(&o.MaxBackoff, 5*time.Minute)
	def(&o.PollInterval, time.Second)
	if o.Workers <= 0 {
		o.Workers = 8
	}
	if o.DeadAfterRepeats <= 0 {
		o.DeadAfterRepeats = 10
	}
}

// Deps are the service's collaborators.
type Deps struct {
	Store     Store
	Resources installations.ResourceStore // our copy of resources (renames)
	Vault     *installations.Vault        // seals queued secret values
	// Vercel makes single attempts; its client's own retries are turned off.
	Vercel  *vercelcall.Caller
	Metrics *metrics.Metrics // optional
	Log     *slog.Logger     // optional
}

// Service accepts writes for Vercel and delivers them durably. It
// implements installations.Actions.
type Service struct {
	Deps
	opts Options
	wake chan struct{}
	now  func() time.Time
	// base bounds attempts that outlive their request; Close ends it.
	base     context.Context
	stop     context.CancelFunc
	inflight sync.WaitGroup
}

var _ installations.Actions = (*Service)(nil)

// New returns the service; start background delivery with Run.
func New(d Deps, opts Options) *Service {
	opts.defaults()
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	d.Vercel = d.Vercel.WithRetry(vercelapi.RetryPolicy{MaxAttempts: 1})
	s := &Service{Deps: d, opts: opts, wake: make(chan struct{}, 1), now: time.Now}
	s.base, s.stop = context.WithCancel(context.Background())
	if d.Metrics != nil {
		d.Metrics.Registry.MustRegister(newBacklogCollector(d.Store))
	}
	return s
}

// Request is one write to forward.
type Request struct {
	InstallationID string
	Operation      string // Op*
	Target         string // resource id (secrets, events) or invoice id (updateInvoice)
	Body           any    // the Vercel request value, e.g. *vercelapi.SecretsUpdate
	// Local, when set, runs in the transaction that records the delivery,
	// so a local change and the write it causes commit together.
	Local installations.LocalChange
	// Background records the write for the worker without a first attempt
	// in the caller's time (bulk senders such as the billing autopilot).
	Background bool
}

// Enqueue validates, records and first attempts a write. It returns the
// delivery as it stands: delivered, or pending for the background worker.
// A write Vercel refused returns the delivery and a *apperr.Error (see
// Err); a body Vercel would refuse is never queued.
func (s *Service) Enqueue(ctx context.Context, req Request) (Delivery, error) {
	if err := validate(req.Operation, req.Body); err != nil {
		return Delivery{}, err
	}
	body, err := json.Marshal(req.Body)
	if err != nil {
		return Delivery{}, fmt.Errorf("encode delivery body: %w", err)
	}
	d, owner, err := s.record(ctx, req, body)
	if err != nil {
		return d, err
	}
	if owner == "" { // an earlier write to the same thing is still pending
		s.Wake()
		return d, nil
	}
	return s.firstAttempt(ctx, d, owner)
}

// firstAttempt makes the first attempt while the caller waits up to
// FirstAttemptTimeout. An attempt still running then is not abandoned: it
// goes on in the background, holding its lease, so no other attempt of
// the delivery starts before it ends, and the caller hears "pending".
func (s *Service) firstAttempt(ctx context.Context, d Delivery, owner string) (Delivery, error) {
	done := make(chan Delivery, 1)
	s.inflight.Go(func() {
		actx, cancel := context.WithTimeout(s.base, s.opts.AttemptTimeout)
		defer cancel()
		done <- s.attempt(actx, d, owner)
	})
	t := time.NewTimer(s.opts.FirstAttemptTimeout)
	defer t.Stop()
	select {
	case d = <-done:
	case <-t.C:
		d.LastError = "Vercel did not answer within the first attempt's deadline; the attempt goes on"
	case <-ctx.Done():
	}
	if d.Status == StatusPending {
		s.Wake()
	}
	return d, Err(d)
}

// Close ends attempts still running for their requests (their leases are
// released, nothing counted) and waits for them.
func (s *Service) Close() {
	s.stop()
	s.inflight.Wait()
}

// Retry makes a pending delivery due now (an operator's "retry now").
func (s *Service) Retry(ctx context.Context, id string) (Delivery, error) {
	d, err := s.Store.RetryDelivery(ctx, id, s.now())
	if err == nil {
		s.Wake()
	}
	return d, err
}

// Cancel gives up a pending delivery no attempt holds; it becomes dead.
func (s *Service) Cancel(ctx context.Context, id string) (Delivery, error) {
	return s.Store.CancelDelivery(ctx, id, "cancelled by an operator", s.now())
}

// record writes the delivery (and the local change) in one transaction.
// It leases the new delivery to the caller (owner != "") unless an earlier
// one with the same ordering key is pending.
func (s *Service) record(ctx context.Context, req Request, body []byte) (Delivery, string, error) {
	now := s.now()
	id := "dlv_" + rand.Text()
	d := Delivery{ID: id, InstallationID: req.InstallationID, Operation: req.Operation,
		Target: req.Target, OrderKey: orderKey(req.InstallationID, req.Operation, req.Target, id),
		Status: StatusPending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now, Body: string(body),
		IdemKey: installations.TakeIdempotencyKey(ctx)}
	if req.Operation == OpUpdateSecrets && s.Vault != nil {
		// Secret values are sealed at rest, bound to the delivery id.
		var err error
		if d.Body, d.BodyKeyID, err = s.Vault.Seal(d.ID, string(body)); err != nil {
			return Delivery{}, "", fmt.Errorf("seal delivery body: %w", err)
		}
	}
	owner := "req_" + rand.Text()
	if req.Background {
		owner = "" // not leased: the worker claims it
	}
	if err := ctx.Err(); err != nil {
		return Delivery{}, "", err
	}
	// Once started, the write is recorded even if the caller goes away: a
	// commit cut off half-way could leave a delivery leased to a first
	// attempt that never runs, waiting out its lease.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	ctx = context.WithValue(ctx, deliveryIDKey{}, id)
	d, leased, err := s.Store.InsertDelivery(ctx, d, owner, now.Add(s.opts.AttemptTimeout+10*time.Second), notFinalized(req))
	if err != nil {
		return Delivery{}, "", err
	}
	if !leased {
		owner = ""
	}
	return d, owner, nil
}

// recordTimeout bounds the recording of a delivery, which no longer ends
// with its caller's context.
const recordTimeout = 30 * time.Second

type deliveryIDKey struct{}

// DeliveryID returns, inside a Request's Local change, the id of the
// delivery being recorded; "" elsewhere.
func DeliveryID(ctx context.Context) string {
	id, _ := ctx.Value(deliveryIDKey{}).(string)
	return id
}

// ErrFinalized refuses a write for an installation that is finalized: its
// token is gone and Vercel expects nothing more.
var ErrFinalized = apperr.New(apperr.Conflict, "installation_finalized",
	"the installation is finalized; nothing more can be sent to Vercel for it")

// notFinalized wraps the request's local change with the check that the
// installation is not finalized, in the transaction that records it.
func notFinalized(req Request) installations.LocalChange {
	return func(ctx context.Context, tx installations.Tx) error {
		in, err := tx.Installation(ctx, req.InstallationID)
		if err != nil {
			return err
		}
		if in.Status == installations.StatusDeleted {
			return ErrFinalized
		}
		if req.Local == nil {
			return nil
		}
		return req.Local(ctx, tx)
	}
}

// Get returns one delivery.
func (s *Service) Get(ctx context.Context, id string) (Delivery, error) {
	return s.Store.GetDelivery(ctx, id)
}

// Wake tells the background worker to look for work now.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// body returns d's stored body, opened when sealed.
func (s *Service) body(d Delivery) ([]byte, error) {
	if d.BodyKeyID == "" {
		return []byte(d.Body), nil
	}
	if s.Vault == nil {
		return nil, errors.New("sealed delivery body and no vault")
	}
	plain, err := s.Vault.Open(d.ID, d.Body, d.BodyKeyID)
	return []byte(plain), err
}
