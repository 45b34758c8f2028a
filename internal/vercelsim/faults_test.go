package vercelsim

import (
	"net/http"
	"strings"
	"sync"
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

func TestModeRateLimited(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	id, token, _ := newInstallation(t, s)
	event := func() result {
		return call(t, s, "POST", "/v1/installations/"+id+"/events", token, parse(t, `{"event": {"type": "installation.updated"}}`))
	}
	tests := []struct {
		retryAfter time.Duration
		header     string
	}{{0, "0"}, {time.Second, "1"}, {1500 * time.Millisecond, "2"}}
	s.SetMode(ModeRateLimited)
	s.Enqueue(RouteCreateEvent, Fault{Status: 500})
	for _, tt := range tests {
		s.SetRetryAfter(tt.retryAfter)
		r := event()
		if r.status != 429 || r.header.Get("Retry-After") != tt.header {
			t.Errorf("retry after %v: %d Retry-After %q, want 429 %q", tt.retryAfter, r.status, r.header.Get("Retry-After"), tt.header)
		}
		if msg := errorMessage(t, r.body); !strings.HasPrefix(msg, "rate_limited") || !strings.Contains(string(r.body), `"limit":{"remaining":0`) {
			t.Errorf("body %s", r.body)
		}
	}
	if r := call(t, s, "GET", "/.well-known/jwks", "", nil); r.status != 200 || s.Mode() != ModeRateLimited {
		t.Errorf("JWKS while rate limited: %d", r.status)
	}
	if n := len(s.Events(id)); n != 0 || s.PendingFaults(RouteCreateEvent) != 1 {
		t.Errorf("rate-limited calls were handled (%d events) or consumed faults", n)
	}
	if rs := s.RequestsTo(RouteCreateEvent); len(rs) != 3 || rs[2].Status != 429 {
		t.Errorf("recorded %+v", rs)
	}
	s.SetMode(ModeUp)
	if r := event(); r.status != 500 {
		t.Errorf("queued fault after ModeUp: %d", r.status)
	}
	if r := event(); r.status != 201 {
		t.Errorf("after ModeUp: %d", r.status)
	}
	s.SetDown(true)
	if s.Mode() != ModeDown {
		t.Errorf("SetDown(true) gives mode %d", s.Mode())
	}
	s.SetMode(ModeRateLimited)
	s.Reset()
	if s.Mode() != ModeUp {
		t.Errorf("Reset leaves mode %d", s.Mode())
	}
}

func TestRequestsNewestFirst(t *testing.T) {
	t.Parallel()
	clock := time.Date(2026, 10, 15, 13, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	s := startSim(t, Options{Now: func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(time.Second)
		return clock
	}})
	id, token, _ := newInstallation(t, s)
	s.Reset()
	call(t, s, "GET", "/v1/installations/"+id+"/account", token, nil)
	call(t, s, "POST", "/v1/installations/"+id+"/events", token, parse(t, `{"event": {"type": "zzz"}}`))
	call(t, s, "GET", "/v1/installations/"+id+"/resources?ids=a", token, nil)
	got := s.RequestsNewestFirst()
	if len(got) != 3 {
		t.Fatalf("%d requests", len(got))
	}
	want := []struct {
		method, route, query string
		status               int
	}{{"GET", RouteGetResources, "ids=a", 200}, {"POST", RouteCreateEvent, "", 400}, {"GET", RouteGetAccountInfo, "", 200}}
	for i, w := range want {
		r := got[i]
		if r.Method != w.method || r.Route != w.route || r.Query != w.query || r.Status != w.status || r.Time.IsZero() {
			t.Errorf("request %d = %s %s ?%s %d at %v, want %+v", i, r.Method, r.Route, r.Query, r.Status, r.Time, w)
		}
		if i > 0 && !r.Time.Before(got[i-1].Time) {
			t.Errorf("request %d at %v is not older than %v", i, r.Time, got[i-1].Time)
		}
	}
	if !strings.Contains(string(got[1].Body), `"zzz"`) {
		t.Errorf("body %s", got[1].Body)
	}
	if all := s.Requests(); all[0].Route != RouteGetAccountInfo {
		t.Errorf("Requests is not oldest first: %s", all[0].Route)
	}
}

func TestSetFailureRate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		route      string
		p          float64
		lo, hi     int // bounds on failures out of 300 calls
		wantStatus int
	}{
		{name: "a third fails", route: RouteCreateEvent, p: 1.0 / 3, lo: 70, hi: 130, wantStatus: 503},
		{name: "any route, always", route: RouteAny, p: 1, lo: 300, hi: 300, wantStatus: 502},
		{name: "other route unaffected", route: RouteSubmitBillingData, p: 1, lo: 0, hi: 0},
		{name: "zero turns it off", route: RouteCreateEvent, p: 0, lo: 0, hi: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startSim(t, Options{})
			id, token, _ := newInstallation(t, s)
			s.SetFailureRate(tt.route, tt.p, Fault{Status: tt.wantStatus, Header: http.Header{"Retry-After-Ms": {"10"}}})
			failed := 0
			for range 300 {
				r := call(t, s, "POST", "/v1/installations/"+id+"/events", token, parse(t, `{"event": {"type": "installation.updated"}}`))
				switch r.status {
				case 201:
				case tt.wantStatus:
					failed++
					if r.header.Get("Retry-After-Ms") != "10" {
						t.Fatalf("fault headers %v", r.header)
					}
				default:
					t.Fatalf("status %d", r.status)
				}
			}
			if failed < tt.lo || failed > tt.hi {
				t.Errorf("%d of 300 failed, want %d..%d", failed, tt.lo, tt.hi)
			}
			if got := len(s.Events(id)); got != 300-failed {
				t.Errorf("%d events applied, want %d: a failed call must not be applied", got, 300-failed)
			}
		})
	}
}

func TestSetFailureRateClearedByReset(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	id, token, _ := newInstallation(t, s)
	s.SetFailureRate(RouteAny, 1, Fault{Status: 500})
	s.Reset()
	if r := call(t, s, "POST", "/v1/installations/"+id+"/events", token, parse(t, `{"event": {"type": "installation.updated"}}`)); r.status != 201 {
		t.Errorf("after Reset: %d", r.status)
	}
}
