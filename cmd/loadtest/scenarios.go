package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

var eventBody = []byte(`{"event":{"type":"installation.updated"}}`)

// healthzRow is the ceiling's row; the other rows are compared with it.
const healthzRow = "GET /healthz (ceiling)"

// scenario is one named part of a run, selectable with -scenarios.
type scenario struct {
	name string
	run  func(ctx context.Context, sv *server, s settings) ([]result, error)
}

// scenarios are every part of a run, in the order they run.
var scenarios = []scenario{
	{"healthz", timed(healthzRow, (*server).healthz)},
	{"upsert", timed(upsertRow, (*server).upsert)},
	{"floor", floors},
	{"upsert-fresh", func(ctx context.Context, sv *server, s settings) ([]result, error) {
		if err := sv.mintFresh(ctx, s.fresh, gomaxprocs()); err != nil {
			return nil, err
		}
		name := fmt.Sprintf("PUT /v1/installations/{id} (every token new, %d)", s.fresh)
		return []result{loop(ctx, name, s.conns, bounds{d: s.duration, limit: s.fresh}, sv.upsertFresh)}, nil
	}},
	{"read", timed("GET /v1/installations/{id} (verified read)", (*server).read)},
	{"internal", timed(internalRow, (*server).event)},
	{"drain", func(ctx context.Context, sv *server, s settings) ([]result, error) {
		accept, drain := sv.backlog(ctx, s)
		return []result{accept, drain}, nil
	}},
	{"sso", func(ctx context.Context, sv *server, s settings) ([]result, error) {
		if s.sessions > 0 {
			if err := sv.storeSessions(ctx, s.sessions); err != nil {
				return nil, err
			}
		}
		one := fmt.Sprintf("GET /callback SSO sign-in, one at a time (%d sessions stored)", s.sessions)
		name := fmt.Sprintf("GET /callback SSO sign-in (%d sessions stored)", s.sessions)
		return []result{
			loop(ctx, one, 1, bounds{d: s.duration}, sv.ssoCallbacks(1)),
			loop(ctx, name, s.conns, bounds{d: s.duration}, sv.ssoCallbacks(s.conns)),
		}, nil
	}},
}

func scenarioNames() []string {
	names := make([]string, len(scenarios))
	for i, sc := range scenarios {
		names[i] = sc.name
	}
	return names
}

// timed is a scenario of one closed loop for -duration.
func timed(name string, fn func(sv *server, ctx context.Context, w, i int) error) func(context.Context, *server, settings) ([]result, error) {
	return func(ctx context.Context, sv *server, s settings) ([]result, error) {
		call := func(ctx context.Context, w, i int) error { return fn(sv, ctx, w, i) }
		return []result{loop(ctx, name, s.conns, bounds{d: s.duration}, call)}, nil
	}
}

// measure runs the chosen scenarios against a fresh server for t.
func measure(ctx context.Context, s settings, t target) (*report, error) {
	sv, err := start(ctx, s, t)
	if err != nil {
		return nil, err
	}
	defer sv.close()
	rep := &report{title: t.title(), installations: s.installations}
	cpuSampler = func() cpuTimes {
		c := cpuTimes{self: selfCPU()}
		if t.driver == "postgres" {
			c.pids, c.dbKnown = sv.backendCPU(sv.appName)
		}
		return c
	}
	for _, r := range sv.replicas {
		rep.ready = append(rep.ready, r.ready)
	}
	begin := time.Now()
	if err := sv.install(ctx, s.installations, s.conns); err != nil {
		return nil, err
	}
	rep.installTime = time.Since(begin)
	if s.chosen["upsert"] || s.chosen["read"] {
		if err := sv.mintTokens(ctx, gomaxprocs()); err != nil {
			return nil, err
		}
	}
	stopProfile, err := startProfile(s.cpuProfile, t.driver)
	if err != nil {
		return nil, err
	}
	defer stopProfile()
	for _, sc := range scenarios {
		if !s.chosen[sc.name] {
			continue
		}
		rows, err := sc.run(ctx, sv, s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", sc.name, err)
		}
		rep.rows = append(rep.rows, rows...)
	}
	return rep, writeHeap(s.memProfile, t.driver)
}

func (sv *server) healthz(ctx context.Context, w, _ int) error { return sv.get(ctx, w, "/healthz", "") }

// pick spreads requests over the installations and their token pools.
func (sv *server) pick(i int) (int, string) {
	k := i % len(sv.ids)
	return k, sv.tokens[k][(i/len(sv.ids))%len(sv.tokens[k])]
}

func (sv *server) upsert(ctx context.Context, w, i int) error {
	k, tok := sv.pick(i)
	return do(ctx, sv.client, http.MethodPut, sv.base(w)+"/v1/installations/"+sv.ids[k], tok, upsertBody(sv.access[k]), http.StatusOK)
}

func (sv *server) upsertFresh(ctx context.Context, w, i int) error {
	k := i % len(sv.ids)
	return do(ctx, sv.client, http.MethodPut, sv.base(w)+"/v1/installations/"+sv.ids[k], sv.fresh[i], upsertBody(sv.access[k]), http.StatusOK)
}

func (sv *server) read(ctx context.Context, w, i int) error {
	k, tok := sv.pick(i)
	return sv.get(ctx, w, "/v1/installations/"+sv.ids[k], tok)
}

// event is an accepted internal write: 200 when delivered in the request,
// 202 when left pending.
func (sv *server) event(ctx context.Context, w, i int) error {
	url := sv.base(w) + "/internal/v1/installations/" + sv.ids[i%len(sv.ids)] + "/events"
	return do(ctx, sv.client, http.MethodPost, url, internalToken, eventBody, http.StatusOK, http.StatusAccepted)
}

// backlog accepts s.backlog writes while Vercel is down, then starts every
// replica's delivery worker with Vercel up and times until nothing is
// pending; leases keep each delivery to one replica at a time.
func (sv *server) backlog(ctx context.Context, s settings) (accept, drain result) {
	sv.sim.SetMode(vercelsim.ModeDown)
	accept = loop(ctx, "POST .../events, Vercel down (accepted)", s.conns, bounds{d: time.Minute, limit: s.backlog}, sv.event)
	if missing := s.backlog - accept.n; missing > 0 {
		accept.errs += missing
		accept.firstErr = cmpErr(accept.firstErr, fmt.Errorf("%d writes not sent within a minute", missing))
	}
	sv.sim.SetMode(vercelsim.ModeUp)
	drain = result{name: "delivery backlog drain (deliveries/s)"}
	pending, err := sv.count(ctx, installations.DeliveryPending, true)
	begin, cpu := time.Now(), cpuSampler()
	for _, r := range sv.replicas {
		r.app.Start()
		r.app.Deliveries.Wake()
	}
	for err == nil && pending > 0 && time.Since(begin) < 2*time.Minute {
		time.Sleep(5 * time.Millisecond)
		var left bool
		if left, err = sv.anyPending(ctx); err == nil && !left {
			break
		}
	}
	drain.elapsed, drain.cpu = time.Since(begin), cpuSampler().sub(cpu)
	undelivered, cerr := sv.count(ctx, installations.DeliveryDelivered, false)
	drain.n, drain.errs, drain.firstErr = pending-undelivered, undelivered, cmpErr(err, cerr)
	if undelivered > 0 && drain.firstErr == nil {
		drain.firstErr = fmt.Errorf("%d deliveries not delivered", undelivered)
	}
	return accept, drain
}

// count counts deliveries whose status is (or, with is false, is not) status.
func (sv *server) count(ctx context.Context, status string, is bool) (int, error) {
	op := "="
	if !is {
		op = "<>"
	}
	var n int
	err := sv.app.DB.GetContext(ctx, &n, sv.app.DB.Rebind(`SELECT COUNT(*) FROM deliveries WHERE status `+op+` ?`), status)
	return n, err
}

// anyPending reports whether a delivery is pending: cheap enough to ask
// every few milliseconds, unlike a count, which on PostgreSQL read every
// pending row each time and took CPU from the drain it was timing.
func (sv *server) anyPending(ctx context.Context) (bool, error) {
	var any bool
	err := sv.app.DB.GetContext(ctx, &any, sv.app.DB.Rebind(`SELECT EXISTS (SELECT 1 FROM deliveries WHERE status = ?)`),
		installations.DeliveryPending)
	return any, err
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// exchangesPerAddress stays under the server's per-address burst of SSO
// exchanges (20). Each worker signs in from its own loopback address and
// moves to a fresh one (127.1.x.y) after this many, so the figure is the
// sign-in's cost, not the limiter's refusals.
const exchangesPerAddress = 16

// ssoCallbacks returns the SSO scenario's request: a fresh code per call,
// the callback's 303 expected, redirects not followed.
func (sv *server) ssoCallbacks(conns int) request {
	clients := make([]*ssoClient, conns)
	for w := range clients {
		clients[w] = newSSOClient(&sv.ssoAddrs)
	}
	return func(ctx context.Context, w, i int) error {
		c := clients[w]
		c.rotate()
		id := sv.ids[i%len(sv.ids)]
		code := sv.sim.IssueSSOCode(id, loadUser, installations.RoleAdmin, nil)
		return do(ctx, c.client, http.MethodGet, vercelsim.SSOCallbackURL(sv.base(w), code, "loadtest", nil), "", nil, http.StatusSeeOther)
	}
}

// ssoClient is one worker's client, dialling from its current address.
type ssoClient struct {
	client *http.Client
	t      *http.Transport
	addrs  *atomic.Int64
	local  *net.TCPAddr
	used   int
}

func newSSOClient(addrs *atomic.Int64) *ssoClient {
	c := &ssoClient{addrs: addrs}
	c.t = &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 1, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return (&net.Dialer{Timeout: 5 * time.Second, LocalAddr: c.local}).DialContext(ctx, network, addr)
	}}
	c.client = &http.Client{Transport: c.t, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	c.used = exchangesPerAddress
	return c
}

// rotate moves to the next loopback address when this one's burst is used.
func (c *ssoClient) rotate() {
	if c.used < exchangesPerAddress {
		c.used++
		return
	}
	n := int(c.addrs.Add(1)) - 1
	c.local = &net.TCPAddr{IP: net.IPv4(127, 1, byte(n/254), byte(1+n%254))}
	c.t.CloseIdleConnections()
	c.used = 1
}
