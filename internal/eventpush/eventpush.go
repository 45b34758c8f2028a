// Package eventpush pushes every event of the feed to the partner's
// receiver (events.push_url), signed per Standard Webhooks with
// events.push_secret, the event's id as webhook-id.
//
// Two loops share the work. The taker follows the feed through its public
// cursor and records each new event as a push, moving its own cursor in
// the same transaction (a guarded update: two replicas never take an
// event twice). The sender attempts pushes with leases, like the delivery
// queue: only the first pending push of an installation is attempted, so
// one installation's pushes arrive in feed order while the others go on
// beside it. A failed push waits with exponential backoff and jitter; one
// still failing deliveries.max_age after it was taken is dead, and an
// operator may retry it.
package eventpush

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vercel-partner/partner-server/internal/installations"
)

// Operation is what a push is called where deliveries are listed.
const Operation = "pushEvent"

// IDPrefix starts every push id; the rest is the event's id.
const IDPrefix = "push_"

// IsID reports whether id names a push rather than a delivery.
func IsID(id string) bool { return strings.HasPrefix(id, IDPrefix) }

// Store is what the service needs of the database (db.Pushes).
type Store interface {
	PushCursor(ctx context.Context) (int64, error)
	TakePushes(ctx context.Context, from, to int64, ps []installations.Push) error
	ClaimPushes(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]installations.Push, error)
	FinishPush(ctx context.Context, p installations.Push, owner string) (bool, error)
	ReleasePush(ctx context.Context, id, owner string) error
	GetPush(ctx context.Context, id string) (installations.Push, error)
	RetryPush(ctx context.Context, id string, now time.Time) (installations.Push, error)
	CancelPush(ctx context.Context, id, reason string, now time.Time) (installations.Push, error)
	PushBacklog(ctx context.Context) (int, time.Time, error)
}

// Deps are the service's collaborators.
type Deps struct {
	Feed     installations.EventStore
	Store    Store
	Registry *prometheus.Registry // optional
	Log      *slog.Logger         // optional
}

// Options configure the push; URL "" turns it off (operators can still
// read, retry and cancel pushes already taken).
type Options struct {
	URL    string
	Secret string // whsec_ + base64; required with URL
	// Timeout bounds one attempt; 10s.
	Timeout      time.Duration
	Workers      int           // attempts at once; 8
	PollInterval time.Duration // how often the feed and the due pushes are read; 1s
	BaseBackoff  time.Duration // 1s
	MaxBackoff   time.Duration // 5m
	MaxAge       time.Duration // a push failing this long is dead; 72h
	// Client sends the pushes; default a plain client. Redirects are
	// never followed whatever it says.
	Client *http.Client
}

func (o Options) withDefaults() Options {
	dur := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	dur(&o.Timeout, 10*time.Second)
	dur(&o.PollInterval, time.Second)
	dur(&o.BaseBackoff, time.Second)
	dur(&o.MaxBackoff, 5*time.Minute)
	dur(&o.MaxAge, 72*time.Hour)
	if o.Workers <= 0 {
		o.Workers = 8
	}
	return o
}

// Service takes the feed's events and pushes them.
type Service struct {
	Deps
	opts     Options
	key      []byte
	client   *http.Client
	wake     chan struct{}
	now      func() time.Time
	outcomes *prometheus.CounterVec
}

// CancelReason is the last error of a push an operator gave up.
const CancelReason = "cancelled by an operator"

// New returns the service; Run starts the push when a URL is set.
func New(d Deps, opts Options) (*Service, error) {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	s := &Service{Deps: d, opts: opts.withDefaults(), wake: make(chan struct{}, 1), now: time.Now}
	if opts.URL != "" {
		key, err := SecretKey(opts.Secret)
		if err != nil {
			return nil, err
		}
		s.key = key
	}
	c := http.Client{}
	if opts.Client != nil {
		c = *opts.Client
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	s.client = &c
	s.outcomes = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "partner_event_pushes_total",
		Help: "Attempts to push a feed event to events.push_url, by outcome (delivered, failed, dead)."}, []string{"outcome"})
	if d.Registry != nil {
		d.Registry.MustRegister(s.outcomes, &backlog{store: d.Store})
	}
	return s, nil
}

// Enabled reports whether events are pushed.
func (s *Service) Enabled() bool { return s.opts.URL != "" }

// Run takes and pushes events until ctx ends; attempts in flight then
// release their leases. Pending pushes stay in the database for the next
// start. It returns at once when the push is off.
func (s *Service) Run(ctx context.Context) {
	if !s.Enabled() {
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.takeLoop(ctx)
	}()
	s.sendLoop(ctx)
	<-done
}

// Get returns one push.
func (s *Service) Get(ctx context.Context, id string) (installations.Push, error) {
	return s.Store.GetPush(ctx, id)
}

// Retry makes a pending or dead push due now; a dead one gets a new
// deliveries.max_age to succeed in. It goes out with its own webhook-id,
// after the pushes of its installation already pending.
func (s *Service) Retry(ctx context.Context, id string) (installations.Push, error) {
	p, err := s.Store.RetryPush(ctx, id, s.now())
	if err == nil {
		s.Wake()
	}
	return p, err
}

// Cancel gives up a pending push no attempt holds; it becomes dead.
func (s *Service) Cancel(ctx context.Context, id string) (installations.Push, error) {
	return s.Store.CancelPush(ctx, id, CancelReason, s.now())
}

// Wake tells the sender to look for due pushes now.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// sleep waits for the poll interval, a wake-up or the end of ctx.
func (s *Service) sleep(ctx context.Context, wake <-chan struct{}) {
	t := time.NewTimer(s.opts.PollInterval)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-wake:
	case <-t.C:
	}
}

func newOwner() string { return "psh_" + rand.Text() }
