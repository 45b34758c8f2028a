// Package vercelsim is an in-process, strict fake of Vercel for tests and the
// demo command: the OIDC issuer of partner-API tokens, the Marketplace REST
// API (validated as strictly as Vercel's schemas), the SSO code exchange,
// and a client that calls the partner server the way Vercel does.
//
// Everything it receives is recorded, faults can be injected per route, and
// all methods are safe for concurrent use.
package vercelsim

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Options configures a Sim. Every field is optional.
type Options struct {
	ClientID     string                           // the integration's client id (oac_...), the aud of minted tokens; default "oac_simulatedClient0000000001"
	ClientSecret string                           // default "sim-client-secret"
	Addr         string                           // listen address; "" = 127.0.0.1:0
	Logf         func(format string, args ...any) // optional request log
	// Now is Vercel's clock (token iat/exp, invoice timestamps, the 24 h
	// staleness rule of submitBillingData); default time.Now.
	Now func() time.Time
}

// Sim is a running simulator. Create it with Start and stop it with Close.
type Sim struct {
	opts   Options
	srv    *http.Server
	url    string
	client *http.Client

	keysMu      sync.RWMutex
	keys        []signingKey // newest first
	jwksFetches atomic.Int64

	mode       atomic.Int32 // a Mode
	retryAfter atomic.Int64 // rate-limited mode's Retry-After, in ns

	mu        sync.Mutex
	insts     map[string]*installation
	codes     map[string]ssoCode
	exchanges []SSOExchange
	requests  []Request
	faults    map[string][]Fault
	rates     map[string]failureRate
	rng       *rand.Rand // draws SetFailureRate's failures; fixed seed

	redirectLoginURL string
	deployments      []*Deployment            // oldest first
	claims           map[string]transferClaim // transfer requests made, by providerClaimId

	// Re-reads after createEvent (reread.go), all guarded by mu except
	// bg and background.
	partnerURL    string
	rereads       []Reread
	rereadSeq     map[string]uint64 // per installation or resource: reads started
	rereadApplied map[string]uint64 // per installation or resource: the newest read applied
	closed        bool
	bg            context.Context // ends background work at Close
	stopBg        context.CancelFunc
	background    sync.WaitGroup

	console console
	staff   staffState
	push    pushReceiver            // guarded by mu
	repl    map[string]replExchange // the last REPL exchange per resource; guarded by mu
}

// Start listens and serves the simulator until Close.
func Start(opts Options) (*Sim, error) {
	opts.ClientID = cmp.Or(opts.ClientID, "oac_simulatedClient0000000001")
	opts.ClientSecret = cmp.Or(opts.ClientSecret, "sim-client-secret")
	if opts.Now == nil {
		opts.Now = time.Now
	}
	key, err := newSigningKey(1)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cmp.Or(opts.Addr, "127.0.0.1:0"))
	if err != nil {
		return nil, fmt.Errorf("vercelsim: listen: %w", err)
	}
	s := &Sim{
		opts:   opts,
		url:    "http://" + ln.Addr().String(),
		client: &http.Client{Timeout: 30 * time.Second},
		keys:   []signingKey{key},
		insts:  map[string]*installation{},
		codes:  map[string]ssoCode{},
		faults: map[string][]Fault{},
		rates:  map[string]failureRate{},
		rng:    rand.New(rand.NewPCG(1, 2)),

		rereadSeq:     map[string]uint64{},
		rereadApplied: map[string]uint64{},
	}
	s.bg, s.stopBg = context.WithCancel(context.Background())
	s.retryAfter.Store(int64(time.Second))
	s.srv = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute, // fault delays may be long
		IdleTimeout:       time.Minute,
	}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logf("vercelsim: serve: %v", err)
		}
	}()
	return s, nil
}

// Close stops the server at once, dropping open connections, and ends
// its background re-reads.
func (s *Sim) Close() {
	_ = s.srv.Close()
	s.stopBackground()
}

// Shutdown stops the server gracefully, then ends its background re-reads.
func (s *Sim) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	s.stopBackground()
	return err
}

// stopBackground cancels the re-reads in flight and waits for them; none
// starts afterwards.
func (s *Sim) stopBackground() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.stopBg()
	s.background.Wait()
}

// URL is the base URL: the REST API base and the OIDC issuer.
func (s *Sim) URL() string { return s.url }

// ClientID is the integration's client id, the aud of every minted token.
func (s *Sim) ClientID() string { return s.opts.ClientID }

// ClientSecret keys the SSO exchange and webhook signatures.
func (s *Sim) ClientSecret() string { return s.opts.ClientSecret }

func (s *Sim) now() time.Time { return s.opts.Now().UTC() }

func (s *Sim) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf(format, args...)
	}
}

// stamp formats t the way Vercel's SDK does.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
