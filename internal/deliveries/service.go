package deliveries

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/metrics"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelcall"
)

// Deps are the service's collaborators.
type Deps struct {
	Store Store
	Vault installations.Sealer // seals queued secret values
	// Vercel makes single attempts; its client's own retries are turned off.
	Vercel  *vercelcall.Caller
	Metrics *metrics.Metrics // optional
	Log     *slog.Logger     // optional
}

// Service accepts writes for Vercel and delivers them durably.
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

// New returns the service; start background delivery with Run.
func New(d Deps, opts Options) *Service {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	d.Vercel = d.Vercel.WithRetry(vercelapi.RetryPolicy{MaxAttempts: 1})
	s := &Service{Deps: d, opts: opts.withDefaults(), wake: make(chan struct{}, 1), now: time.Now}
	s.base, s.stop = context.WithCancel(context.Background())
	if d.Metrics != nil {
		d.Metrics.Registry.MustRegister(newBacklogCollector(d.Store))
	}
	return s
}

// Enqueue records and first attempts a write. It returns the delivery as
// it stands: delivered, or pending for the background worker. A write
// Vercel refused returns the delivery and a *apperr.Error (see Err); a
// body Vercel would refuse is never queued; nothing is queued for a
// finalized installation (installations.ErrFinalized).
func (s *Service) Enqueue(ctx context.Context, w Write) (Delivery, error) {
	if err := w.check(); err != nil {
		return Delivery{}, err
	}
	d, owner, token, err := s.record(ctx, w)
	if err != nil {
		return d, err
	}
	if owner == "" { // an earlier write to the same thing is still pending
		s.Wake()
		return d, nil
	}
	return s.firstAttempt(ctx, d, owner, token)
}

// firstAttempt makes the first attempt while the caller waits up to
// FirstAttemptTimeout. An attempt still running then is not abandoned: it
// goes on in the background, holding its lease, so no other attempt of
// the delivery starts before it ends, and the caller hears "pending".
func (s *Service) firstAttempt(ctx context.Context, d Delivery, owner, token string) (Delivery, error) {
	done := make(chan Delivery, 1)
	leased := d // the attempt's own copy: d changes below if it outlives the wait
	s.inflight.Go(func() {
		actx, cancel := context.WithTimeout(s.base, s.opts.AttemptTimeout)
		defer cancel()
		done <- s.attempt(actx, leased, owner, s.Vercel.ForToken(leased.InstallationID, token))
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

// Retry is an operator's "retry now": a pending delivery becomes due now;
// a dead one is brought back, due now, its age (Options.MaxAge) counted
// afresh, unless its installation is finalized or a later write of its
// ordering key reached Vercel since (an older write never overtakes a
// newer one). A delivered or rejected one is final (Conflict).
func (s *Service) Retry(ctx context.Context, id string) (Delivery, error) {
	d, err := s.Store.RetryDelivery(ctx, id, s.now())
	if err == nil {
		s.Wake()
	}
	return d, err
}

// List is the deliveries f selects, newest first, without bodies.
func (s *Service) List(ctx context.Context, f installations.DeliveryFilter) ([]Delivery, error) {
	if f.Limit <= 0 || f.Limit > maxList {
		f.Limit = maxList
	}
	return s.Store.ListDeliveries(ctx, f)
}

// maxList bounds one listing of deliveries.
const maxList = 200

// Cancel gives up a pending delivery no attempt holds; it becomes dead.
func (s *Service) Cancel(ctx context.Context, id string) (Delivery, error) {
	return s.Store.CancelDelivery(ctx, id, CancelReason, s.now())
}

// newDelivery is the delivery w makes, its body sealed when secret.
func (s *Service) newDelivery(w Write) (Delivery, error) {
	now := s.now()
	d := Delivery{ID: "dlv_" + rand.Text(), InstallationID: w.installationID, Operation: w.op, Target: w.target,
		Status: StatusPending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now, Body: string(w.body), IdemKey: w.IdemKey}
	o := opOf(w.op)
	d.OrderKey = o.key(d)
	if o.latestWins && w.latest != "" {
		d.LatestKey = d.OrderKey + "|" + w.latest
	}
	if o.sealed && s.Vault != nil {
		// Secret values are sealed at rest, bound to the delivery id.
		var err error
		if d.Body, d.BodyKeyID, err = s.Vault.Seal(d.ID, d.Body); err != nil {
			return Delivery{}, fmt.Errorf("seal delivery body: %w", err)
		}
	}
	return d, nil
}

// record writes the delivery (and the local change) in one transaction.
// It leases the new delivery to the caller (owner != "") unless an earlier
// one with the same ordering key is pending; then it also returns the
// installation's token, read in the same transaction, for the first
// attempt ("" when it was not read there).
func (s *Service) record(ctx context.Context, w Write) (Delivery, string, string, error) {
	d, err := s.newDelivery(w)
	if err != nil {
		return Delivery{}, "", "", err
	}
	now := d.CreatedAt
	owner := "req_" + rand.Text()
	if w.Background {
		owner = "" // not leased: the worker claims it
	}
	if err := ctx.Err(); err != nil {
		return Delivery{}, "", "", err
	}
	// Once started, the write is recorded even if the caller goes away: a
	// commit cut off half-way could leave a delivery leased to a first
	// attempt that never runs, waiting out its lease.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	var sealed sealedToken
	if owner != "" {
		sealed.want = true
	}
	audit := installations.PendingAuditOf(ctx)
	var audited bool
	change := local(w, d.ID, &sealed, audit, &audited)
	d, leased, err := s.Store.InsertDelivery(ctx, d, owner, now.Add(s.opts.lease()), change)
	if err != nil {
		return Delivery{}, "", "", err
	}
	if audited {
		audit.MarkRecorded()
	}
	if !leased {
		return d, "", "", nil
	}
	return d, owner, s.openToken(d.InstallationID, sealed), nil
}

// sealedToken is an installation's token as read in a recording
// transaction, still sealed.
type sealedToken struct {
	want              bool
	ciphertext, keyID string
}

// openToken opens a token read by the recording transaction; "" when
// none was read or it cannot be opened (the attempt then reads it again
// and reports what is wrong).
func (s *Service) openToken(installationID string, t sealedToken) string {
	if t.ciphertext == "" || s.Vault == nil {
		return ""
	}
	token, err := s.Vault.Open(installationID, t.ciphertext, t.keyID)
	if err != nil {
		return ""
	}
	return token
}

// local is the change recorded with the delivery: the installation must
// take more (it is not finalized), then the write's own change, then the
// request's audit entry when it has one not yet recorded (audited says it
// was appended). When token.want, it also reads the installation's sealed
// token into token.
func local(w Write, deliveryID string, token *sealedToken, audit *installations.PendingAudit,
	audited *bool) installations.LocalChange {
	return func(ctx context.Context, tx installations.Tx) error {
		in, err := tx.Installation(ctx, w.installationID)
		if err != nil {
			return err
		}
		if err := in.TakesMore(); err != nil {
			return err
		}
		if w.Local != nil {
			if err := w.Local(ctx, tx, deliveryID); err != nil {
				return err
			}
		}
		if audit != nil && !audit.Recorded() {
			e := audit.Entry()
			e.DeliveryID = deliveryID
			if e.InstallationID == "" {
				e.InstallationID = w.installationID
			}
			if err := tx.AppendAudit(ctx, e); err != nil {
				return err
			}
			*audited = true
		}
		if tt, ok := tx.(installations.TokenTx); ok && token.want {
			token.ciphertext, token.keyID, err = tt.SealedToken(ctx, w.installationID)
		}
		return err
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
