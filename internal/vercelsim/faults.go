package vercelsim

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Fault is one injected answer, served instead of the real handling of a
// route. A zero Status with a Delay only delays, then handles normally.
type Fault struct {
	Status int
	Header http.Header
	// Body is sent as is; when empty and Status >= 400 a Vercel error body
	// matching the status is sent (429 adds the "limit" object).
	Body  string
	Delay time.Duration
}

// Enqueue queues faults for route (a Route* constant or RouteAny). They are
// served in order, one per request, before real handling, and then consumed.
// A route's own queue is used before the RouteAny queue. Enqueue panics on
// a route that faults cannot apply to, so a typo cannot go unnoticed.
func (s *Sim) Enqueue(route string, faults ...Fault) {
	if !isFaultable(route) {
		panic(fmt.Sprintf("vercelsim: Enqueue: %q is not a faultable route (see FaultableRoutes)", route))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[route] = append(s.faults[route], faults...)
}

// PendingFaults counts the faults not yet served for route.
func (s *Sim) PendingFaults(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.faults[route])
}

// SetDown makes the simulator drop every connection to a faultable route
// without answering (the client sees a connection error) until SetDown(false).
// SetDown(false) is SetMode(ModeUp).
func (s *Sim) SetDown(down bool) {
	if down {
		s.SetMode(ModeDown)
		return
	}
	s.SetMode(ModeUp)
}

// Mode is how the simulator answers every faultable route.
type Mode int32

// The modes: normal answers, dropped connections, or 429 rate_limited.
const (
	ModeUp Mode = iota
	ModeDown
	ModeRateLimited
)

// SetMode switches the mode at once; queued faults apply only in ModeUp.
func (s *Sim) SetMode(m Mode) { s.mode.Store(int32(m)) }

// Mode returns the current mode.
func (s *Sim) Mode() Mode { return Mode(s.mode.Load()) }

// SetRetryAfter sets the wait ModeRateLimited announces (default 1s). It is
// sent in Retry-After as whole seconds, rounded up.
func (s *Sim) SetRetryAfter(d time.Duration) { s.retryAfter.Store(int64(max(d, 0))) }

// serveRateLimited answers like Vercel's rate limiter.
func (s *Sim) serveRateLimited(w http.ResponseWriter) {
	wait := time.Duration(s.retryAfter.Load())
	secs := int64((wait + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = w.Write([]byte(rateLimitBody(s.now().Add(time.Duration(secs) * time.Second))))
}

func (s *Sim) nextFault(route string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, key := range []string{route, RouteAny} {
		if q := s.faults[key]; len(q) > 0 {
			s.faults[key] = q[1:]
			return q[0], true
		}
	}
	return s.randomFault(route)
}

// serveFault applies the next fault for route and reports whether it
// answered the request.
func (s *Sim) serveFault(w http.ResponseWriter, r *http.Request, route string) bool {
	f, ok := s.nextFault(route)
	if !ok {
		return false
	}
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return true
		}
	}
	if f.Status == 0 {
		return false
	}
	for k, vs := range f.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	body := f.Body
	if body == "" && f.Status >= 400 {
		body = faultBody(f.Status, s.now())
	}
	if body != "" && w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(f.Status)
	_, _ = w.Write([]byte(body))
	return true
}

func faultBody(status int, now time.Time) string {
	code := map[int]string{
		400: "bad_request", 401: "forbidden", 403: "forbidden", 404: "not_found",
		409: "conflict", 410: "gone", 422: "unprocessable_entity", 429: "rate_limited",
	}[status]
	if code == "" {
		code = "internal_server_error"
	}
	if status == http.StatusTooManyRequests {
		return rateLimitBody(now.Add(time.Minute))
	}
	msg := strconv.Quote(fmt.Sprintf("simulated %d %s", status, http.StatusText(status)))
	return fmt.Sprintf(`{"error":{"code":%q,"message":%s}}`, code, msg)
}

// rateLimitBody is Vercel's 429 body: the error plus its "limit" object.
func rateLimitBody(reset time.Time) string {
	return fmt.Sprintf(`{"error":{"code":"rate_limited","message":"simulated 429 Too Many Requests","limit":{"remaining":0,"reset":%d,"resetMs":%d,"total":100}}}`,
		reset.Unix(), reset.UnixMilli())
}

// failureRate is a route's probabilistic fault: f is served instead of the
// real handling with probability p.
type failureRate struct {
	p float64
	f Fault
}

// SetFailureRate makes route (a Route* constant or RouteAny) answer with f
// instead of its real handling on a fraction p of requests, drawn from a
// fixed-seed generator, until SetFailureRate(route, 0, Fault{}) or Reset.
// Queued faults are served first; a route's own rate wins over RouteAny's.
func (s *Sim) SetFailureRate(route string, p float64, f Fault) {
	if !isFaultable(route) {
		panic(fmt.Sprintf("vercelsim: SetFailureRate: %q is not a faultable route (see FaultableRoutes)", route))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p <= 0 {
		delete(s.rates, route)
		return
	}
	s.rates[route] = failureRate{p: min(p, 1), f: f}
}

// randomFault draws whether route's failure rate fails this request; the
// caller holds s.mu.
func (s *Sim) randomFault(route string) (Fault, bool) {
	for _, key := range []string{route, RouteAny} {
		if r, ok := s.rates[key]; ok {
			return r.f, s.rng.Float64() < r.p
		}
	}
	return Fault{}, false
}
