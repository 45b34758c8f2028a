package deliveries

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/metrics"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
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
}

// Deps are the service's collaborators.
type Deps struct {
	DB            *db.DB
	Installations installations.Store // existence checks and tokens
	Resources     *db.Resources       // our copy of resources (renames)
	Invoices      *db.Invoices        // submitted invoices are recorded here
	Vault         *installations.Vault
	Client        *vercelapi.Client // single attempts are made with it
	Metrics       *metrics.Metrics  // optional
	Log           *slog.Logger      // optional
}

// Service accepts writes for Vercel and delivers them durably. It
// implements installations.Actions.
type Service struct {
	Deps
	opts   Options
	store  *store
	client *vercelapi.Client
	wake   chan struct{}
	now    func() time.Time
}

var _ installations.Actions = (*Service)(nil)

// New returns the service; start background delivery with Run.
func New(d Deps, opts Options) *Service {
	opts.defaults()
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	s := &Service{
		Deps:   d,
		opts:   opts,
		store:  &store{db: d.DB},
		client: d.Client.WithRetryPolicy(vercelapi.RetryPolicy{MaxAttempts: 1}),
		wake:   make(chan struct{}, 1),
		now:    time.Now,
	}
	if d.Metrics != nil {
		d.Metrics.Registry.MustRegister(newBacklogCollector(s.store))
	}
	return s
}

// Request is one write to forward.
type Request struct {
	InstallationID string
	Operation      string // Op*
	Target         string // resource id (secrets, events) or invoice id (updateInvoice)
	Body           any    // the Vercel request value, e.g. *vercelapi.SecretsUpdate
	// IdempotencyKey, when set, makes a repeat with the same request return
	// the same delivery; Fingerprint adds caller-side inputs (e.g. a new
	// name) to what "the same request" means.
	IdempotencyKey string
	Fingerprint    string
	// Local, when set, runs in the transaction that records the delivery,
	// so a local change and the write it causes commit together.
	Local func(ctx context.Context, tx *sqlx.Tx) error
}

// Enqueue validates, records and first attempts a write. It returns the
// delivery as it stands: delivered, or pending for the background worker.
// A write Vercel refused returns the delivery and a *apperr.Error (see
// Delivery.Err); a body Vercel would refuse is never queued.
func (s *Service) Enqueue(ctx context.Context, req Request) (Delivery, error) {
	if err := validate(req.Operation, req.Body); err != nil {
		return Delivery{}, err
	}
	body, err := json.Marshal(req.Body)
	if err != nil {
		return Delivery{}, fmt.Errorf("encode delivery body: %w", err)
	}
	d, owner, replay, err := s.record(ctx, req, body)
	if err != nil {
		return d, err
	}
	if replay {
		return d, d.Err()
	}
	if owner == "" { // an earlier write to the same thing is still pending
		s.Wake()
		return d, nil
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.FirstAttemptTimeout)
	defer cancel()
	d = s.attempt(actx, d, owner)
	if d.Status == StatusPending {
		s.Wake()
	}
	return d, d.Err()
}

// record writes the delivery (and the local change) in one transaction.
// It leases the new delivery to the caller (owner != "") unless an earlier
// one with the same ordering key is pending. replay is true when the
// idempotency key was seen before with the same request.
func (s *Service) record(ctx context.Context, req Request, body []byte) (d Delivery, owner string, replay bool, err error) {
	now := s.now()
	hash := fingerprint(req, body)
	idem := ""
	if req.IdempotencyKey != "" {
		idem = req.InstallationID + " " + req.IdempotencyKey
	}
	err = s.DB.Tx(ctx, func(tx *sqlx.Tx) error {
		if idem != "" {
			prev, prevHash, ok, err := s.store.byIdemKey(ctx, tx, idem)
			if err != nil {
				return err
			}
			if ok {
				if prevHash != hash {
					return apperr.New(apperr.Conflict, "idempotency_key_reused",
						"this Idempotency-Key was used with a different request")
				}
				d, replay = prev, true
				return nil
			}
		}
		var known int
		if err := tx.GetContext(ctx, &known, tx.Rebind(`SELECT COUNT(*) FROM installations WHERE id = ?`), req.InstallationID); err != nil {
			return fmt.Errorf("find installation: %w", err)
		}
		if known == 0 {
			return apperr.NotFoundf("installation %s not found", req.InstallationID)
		}
		seq, err := db.NextSeqTx(ctx, tx, "deliveries")
		if err != nil {
			return err
		}
		key := orderKey(req.InstallationID, req.Operation, req.Target)
		earlier, err := s.store.pendingBefore(ctx, tx, key)
		if err != nil {
			return err
		}
		if req.Local != nil {
			if err := req.Local(ctx, tx); err != nil {
				return err
			}
		}
		d = Delivery{ID: "dlv_" + rand.Text(), Seq: seq, InstallationID: req.InstallationID, Operation: req.Operation,
			Target: req.Target, OrderKey: key, Status: StatusPending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
		n := newRow{Delivery: d, body: string(body), idemKey: idem, hash: hash}
		if req.Operation == OpUpdateSecrets && s.Vault != nil {
			// Secret values are sealed at rest, bound to the delivery id.
			if n.body, n.keyID, err = s.Vault.Seal(d.ID, string(body)); err != nil {
				return fmt.Errorf("seal delivery body: %w", err)
			}
		}
		if earlier == 0 {
			owner = "req_" + rand.Text()
			n.leaseOwner, n.leaseUntil = owner, now.Add(s.opts.FirstAttemptTimeout+10*time.Second)
		}
		d.body, d.keyID = n.body, n.keyID
		return s.store.insert(ctx, tx, n)
	})
	if err != nil {
		return Delivery{}, "", false, err
	}
	return d, owner, replay, nil
}

func fingerprint(req Request, body []byte) string {
	h := sha256.New()
	for _, part := range []string{req.Operation, req.InstallationID, req.Target, req.Fingerprint} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// Get returns one delivery.
func (s *Service) Get(ctx context.Context, id string) (Delivery, error) {
	return s.store.get(ctx, s.DB.DB, s.DB.Rebind, id)
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
	if d.keyID == "" {
		return []byte(d.body), nil
	}
	if s.Vault == nil {
		return nil, errors.New("sealed delivery body and no vault")
	}
	plain, err := s.Vault.Open(d.ID, d.body, d.keyID)
	return []byte(plain), err
}
