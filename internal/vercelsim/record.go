package vercelsim

import (
	"net/http"
	"slices"
	"time"
)

// Request is one HTTP request the simulator received.
type Request struct {
	Method string
	Path   string
	Query  string // the raw query, without "?"
	Route  string // the matched pattern, e.g. RouteCreateEvent; "" for unknown routes
	Header http.Header
	Body   []byte
	Status int       // status answered; 0 when the connection was dropped (ModeDown)
	Time   time.Time // when it arrived, by the simulator's clock
}

func (s *Sim) record(r Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = appendCapped(s.requests, r)
}

// appendCapped appends v, first dropping the oldest half of list when it
// holds MaxRecorded items: a long-running demo must not grow forever.
func appendCapped[T any](list []T, v T) []T {
	if len(list) >= MaxRecorded {
		list = append(list[:0], list[len(list)-MaxRecorded/2:]...)
	}
	return append(list, v)
}

// MaxRecorded bounds each list the simulator keeps for inspection
// (requests, and each installation's events and submissions); past it the
// oldest half is dropped.
const MaxRecorded = 20000

// Requests returns the requests received since Start or Reset, in order
// (at most the newest MaxRecorded).
func (s *Sim) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// RequestsNewestFirst returns the received requests, the latest arrival
// first (requests are recorded when answered, so a slow one may be
// recorded after a later one).
func (s *Sim) RequestsNewestFirst() []Request {
	list := s.Requests()
	slices.Reverse(list)
	slices.SortStableFunc(list, func(a, b Request) int { return b.Time.Compare(a.Time) })
	return list
}

// RequestsTo returns the received requests whose Route is route.
func (s *Sim) RequestsTo(route string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.requests {
		if r.Route == route {
			out = append(out, r)
		}
	}
	return out
}

// Reset forgets recorded requests and re-reads, pending faults and failure rates and returns to ModeUp.
// Installations, invoices, resources and other Vercel-side state are kept.
func (s *Sim) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests, s.rereads = nil, nil
	s.faults = map[string][]Fault{}
	s.rates = map[string]failureRate{}
	s.mode.Store(int32(ModeUp))
}
