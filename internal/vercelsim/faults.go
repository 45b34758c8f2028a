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
func (s *Sim) SetDown(down bool) { s.down.Store(down) }

func (s *Sim) nextFault(route string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, key := range []string{route, RouteAny} {
		if q := s.faults[key]; len(q) > 0 {
			s.faults[key] = q[1:]
			return q[0], true
		}
	}
	return Fault{}, false
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
	msg := strconv.Quote(fmt.Sprintf("simulated %d %s", status, http.StatusText(status)))
	if status == http.StatusTooManyRequests {
		reset := now.Add(time.Minute)
		return fmt.Sprintf(`{"error":{"code":%q,"message":%s,"limit":{"remaining":0,"reset":%d,"resetMs":%d,"total":100}}}`,
			code, msg, reset.Unix(), reset.UnixMilli())
	}
	return fmt.Sprintf(`{"error":{"code":%q,"message":%s}}`, code, msg)
}
