package vercelsim

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestFaults(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	tests := []struct {
		name   string
		route  string
		faults []Fault
		want   []int // statuses of consecutive calls
		check  func(t *testing.T, rs []result)
	}{
		{name: "two 503s then success", route: RouteCreateEvent,
			faults: []Fault{{Status: 503}, {Status: 503}}, want: []int{503, 503, 201}},
		{name: "429 with Retry-After passes headers and a rate-limit body", route: RouteCreateEvent,
			faults: []Fault{{Status: 429, Header: http.Header{"Retry-After": {"7"}, "Retry-After-Ms": {"7000"}}}}, want: []int{429, 201},
			check: func(t *testing.T, rs []result) {
				if rs[0].header.Get("Retry-After") != "7" || rs[0].header.Get("Retry-After-Ms") != "7000" {
					t.Errorf("headers %v", rs[0].header)
				}
				if msg := errorMessage(t, rs[0].body); !strings.HasPrefix(msg, "rate_limited") || !strings.Contains(string(rs[0].body), `"limit"`) {
					t.Errorf("body %s", rs[0].body)
				}
			}},
		{name: "any route and custom body", route: RouteAny,
			faults: []Fault{{Status: 500, Body: `oops`}}, want: []int{500, 201},
			check: func(t *testing.T, rs []result) {
				if string(rs[0].body) != "oops" {
					t.Errorf("body %q", rs[0].body)
				}
			}},
		{name: "delay only then normal handling", route: RouteCreateEvent,
			faults: []Fault{{Delay: 50 * time.Millisecond}}, want: []int{201}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Sequential: the RouteAny queue is shared by the whole Sim.
			id, token, _ := newInstallation(t, s)
			s.Enqueue(tt.route, tt.faults...)
			var rs []result
			start := time.Now()
			for range tt.want {
				rs = append(rs, call(t, s, "POST", "/v1/installations/"+id+"/events", token, parse(t, `{"event": {"type": "installation.updated"}}`)))
			}
			for i, r := range rs {
				if r.status != tt.want[i] {
					t.Errorf("call %d: status %d, want %d", i, r.status, tt.want[i])
				}
			}
			if tt.faults[0].Delay > 0 && time.Since(start) < tt.faults[0].Delay {
				t.Error("delay not applied")
			}
			if tt.check != nil {
				tt.check(t, rs)
			}
			if n := len(s.Events(id)); n != 1 {
				t.Errorf("%d events stored, want 1 (faulted calls must not be handled)", n)
			}
		})
	}
}

func TestSetDownDropsConnections(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	id, token, _ := newInstallation(t, s)
	s.SetDown(true)
	req, _ := http.NewRequestWithContext(t.Context(), "GET", s.URL()+"/v1/installations/"+id+"/account", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("got status %d while down, want a connection error", resp.StatusCode)
	}
	if r := call(t, s, "GET", "/.well-known/jwks", "", nil); r.status != 200 {
		t.Errorf("JWKS while down: %d, want 200", r.status)
	}
	s.SetDown(false)
	if r := call(t, s, "GET", "/v1/installations/"+id+"/account", token, nil); r.status != 200 {
		t.Errorf("after SetDown(false): %d", r.status)
	}
	// Go's transport may retry an idempotent request once on a dropped
	// connection, so expect one or more drops, then the success.
	reqs := s.RequestsTo(RouteGetAccountInfo)
	if len(reqs) < 2 || reqs[len(reqs)-1].Status != 200 {
		t.Fatalf("recorded %+v", reqs)
	}
	for _, r := range reqs[:len(reqs)-1] {
		if r.Status != 0 {
			t.Errorf("dropped request recorded with status %d, want 0", r.Status)
		}
	}
}

func TestEnqueueUnknownRoutePanics(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	defer func() {
		if recover() == nil {
			t.Error("no panic for a typo route")
		}
	}()
	s.Enqueue("POST /v1/installations/{id}/event", Fault{Status: 500})
}

func TestRecordingAndReset(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	id, token, _ := newInstallation(t, s)
	call(t, s, "POST", "/v1/installations/"+id+"/events", token, parse(t, `{"event": {"type": "resource.updated", "resourceId": "db_1"}}`))
	rs := s.RequestsTo(RouteCreateEvent)
	if len(rs) != 1 || rs[0].Status != 201 || rs[0].Path != "/v1/installations/"+id+"/events" ||
		rs[0].Header.Get("Authorization") != "Bearer "+token || !strings.Contains(string(rs[0].Body), "db_1") {
		t.Fatalf("recorded %+v", rs)
	}
	if got := string(s.Events(id)[0]); got != `{"resourceId":"db_1","type":"resource.updated"}` {
		t.Errorf("event %s", got)
	}
	s.Reset()
	if n := len(s.Requests()); n != 0 {
		t.Errorf("%d requests after Reset", n)
	}
}
