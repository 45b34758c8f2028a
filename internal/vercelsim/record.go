package vercelsim

import (
	"net/http"
	"slices"
)

// Request is one HTTP request the simulator received.
type Request struct {
	Method string
	Path   string
	Route  string // the matched pattern, e.g. RouteCreateEvent; "" for unknown routes
	Header http.Header
	Body   []byte
	Status int // status answered; 0 when the connection was dropped (SetDown)
}

func (s *Sim) record(r Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
}

// Requests returns every request received since Start or Reset, in order.
func (s *Sim) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
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

// Reset forgets recorded requests and pending faults and leaves down mode.
// Installations, invoices, resources and other Vercel-side state are kept.
func (s *Sim) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
	s.faults = map[string][]Fault{}
	s.down.Store(false)
}
