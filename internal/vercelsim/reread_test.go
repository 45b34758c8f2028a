package vercelsim

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// readPartner answers the partner API's reads with whatever answers
// holds for the path, and remembers what it was asked.
type readPartner struct {
	*httptest.Server
	mu      sync.Mutex
	answers map[string]partnerAnswer
	asked   []*http.Request
}

type partnerAnswer struct {
	status int
	body   string
}

func newReadPartner(t *testing.T, answers map[string]partnerAnswer) *readPartner {
	p := &readPartner{answers: answers}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.asked = append(p.asked, r)
		a, ok := p.answers[r.Method+" "+r.URL.Path]
		p.mu.Unlock()
		if !ok {
			a = partnerAnswer{http.StatusNotFound, `{"error":{"code":"not_found","message":"no such thing"}}`}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		w.Write([]byte(a.body))
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *readPartner) requests() []*http.Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*http.Request(nil), p.asked...)
}

// waitRereads polls until the simulator has finished n re-reads.
func waitRereads(t *testing.T, s *Sim, n int) []Reread {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if got := s.Rereads(); len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited for %d re-reads, have %+v", n, s.Rereads())
		}
	}
}

// claims decodes a JWT's payload without checking it.
func claims(t *testing.T, r *http.Request) map[string]any {
	t.Helper()
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("bearer is not a JWT: %q", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	var c map[string]any
	if err != nil || json.Unmarshal(raw, &c) != nil {
		t.Fatalf("JWT payload: %v", err)
	}
	return c
}

func TestResourceUpdatedRereadsTheResourceWithASystemToken(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	id, token, _ := newInstallation(t, s)
	p := newReadPartner(t, map[string]partnerAnswer{
		"GET /v1/installations/" + id + "/resources/db_1": {200, `{"id":"db_1","productId":"postgres","name":"renamed",
		 "status":"suspended","metadata":{"region":"fra1"},"billingPlan":{"id":"pro200","name":"Pro"},
		 "notification":{"level":"warn","title":"Payment overdue"}}`},
	})
	s.SetPartnerURL(p.URL)

	r := call(t, s, http.MethodPost, "/v1/installations/"+id+"/events", token,
		parse(t, `{"event":{"type":"resource.updated","resourceId":"db_1","productId":"postgres"}}`))
	if r.status != http.StatusCreated {
		t.Fatalf("createEvent: %d %s", r.status, r.body)
	}
	rd := waitRereads(t, s, 1)[0]
	if rd.Error != "" || rd.Status != 200 || rd.Path != "/v1/installations/"+id+"/resources/db_1" || rd.ResourceID != "db_1" {
		t.Fatalf("re-read: %+v", rd)
	}
	res, _ := s.Resource(id, "db_1")
	if res.Name != "renamed" || res.Status != "suspended" || res.BillingPlanID != "pro200" || res.Metadata["region"] != "fra1" ||
		!strings.Contains(string(res.Notification), "Payment overdue") {
		t.Errorf("Vercel's copy after the re-read: %+v", res)
	}
	req := p.requests()[0]
	c := claims(t, req)
	if req.Header.Get("X-Vercel-Auth") != "system" || c["installation_id"] != id || c["user_id"] != nil || c["iss"] != s.Issuer() {
		t.Errorf("re-read sent X-Vercel-Auth %q with claims %v", req.Header.Get("X-Vercel-Auth"), c)
	}
}

func TestInstallationUpdatedRereadsTheInstallation(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	id, token, _ := newInstallation(t, s)
	p := newReadPartner(t, map[string]partnerAnswer{
		"GET /v1/installations/" + id: {200, `{"billingPlan":{"id":"pro200","name":"Pro"},"notification":{"level":"info","title":"Welcome"}}`},
	})
	s.SetPartnerURL(p.URL)

	r := call(t, s, http.MethodPost, "/v1/installations/"+id+"/events", token, parse(t, `{"event":{"type":"installation.updated","billingPlanId":"pro200"}}`))
	if r.status != http.StatusCreated {
		t.Fatalf("createEvent: %d %s", r.status, r.body)
	}
	if rd := waitRereads(t, s, 1)[0]; rd.Error != "" || rd.Path != "/v1/installations/"+id || rd.ResourceID != "" {
		t.Fatalf("re-read: %+v", rd)
	}
	st, _ := s.Installation(id)
	if !strings.Contains(string(st.BillingPlan), `"pro200"`) || !strings.Contains(string(st.Notification), "Welcome") {
		t.Errorf("installation after the re-read: plan %s, notification %s", st.BillingPlan, st.Notification)
	}
}

func TestFailedRereadIsRecordedAndChangesNothing(t *testing.T) {
	t.Parallel()
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close() // a partner that refuses connections
	cases := []struct {
		name     string
		resource string
		partner  func(t *testing.T, id string) string
		status   int
		error    string
	}{
		{"partner error", "db_1", func(t *testing.T, id string) string {
			return newReadPartner(t, map[string]partnerAnswer{
				"GET /v1/installations/" + id + "/resources/db_1": {503, `{"error":{"code":"unavailable","message":"database busy"}}`},
			}).URL
		}, 503, "the partner answered 503 Service Unavailable"},
		{"not an object", "db_1", func(t *testing.T, id string) string {
			return newReadPartner(t, map[string]partnerAnswer{"GET /v1/installations/" + id + "/resources/db_1": {200, `["db_1"]`}}).URL
		}, 200, "not a JSON object"},
		{"unknown resource", "db_2", func(t *testing.T, id string) string {
			return newReadPartner(t, map[string]partnerAnswer{"GET /v1/installations/" + id + "/resources/db_2": {200, `{"id":"db_2","name":"x"}`}}).URL
		}, 200, "Vercel has no copy of resource db_2"},
		{"partner unreachable", "db_1", func(*testing.T, string) string { return gone.URL }, 0, "the partner did not answer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startSim(t, Options{})
			id, token, _ := newInstallation(t, s)
			s.SetPartnerURL(tc.partner(t, id))
			r := call(t, s, http.MethodPost, "/v1/installations/"+id+"/events", token,
				parse(t, `{"event":{"type":"resource.updated","resourceId":"`+tc.resource+`"}}`))
			if r.status != http.StatusCreated {
				t.Fatalf("createEvent: %d %s", r.status, r.body)
			}
			rd := waitRereads(t, s, 1)[0]
			if rd.Status != tc.status || !strings.Contains(rd.Error, tc.error) {
				t.Errorf("re-read: status %d, error %q; want %d, %q", rd.Status, rd.Error, tc.status, tc.error)
			}
			if res, _ := s.Resource(id, "db_1"); res.Name != "main" || res.Status != "ready" {
				t.Errorf("Vercel's copy changed: %+v", res)
			}
		})
	}
}

func TestNoRereadWithoutAPartnerURL(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	id, token, _ := newInstallation(t, s)
	p := newReadPartner(t, nil)
	r := call(t, s, http.MethodPost, "/v1/installations/"+id+"/events", token, parse(t, `{"event":{"type":"installation.updated"}}`))
	if r.status != http.StatusCreated {
		t.Fatalf("createEvent: %d %s", r.status, r.body)
	}
	s.Close() // waits for any re-read in flight
	if n := len(s.Rereads()); n != 0 || len(p.requests()) != 0 {
		t.Errorf("%d re-reads, %d partner requests without a partner URL", n, len(p.requests()))
	}
}

func TestStaleRereadIsNotApplied(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	id, _, _ := newInstallation(t, s)
	p := newReadPartner(t, map[string]partnerAnswer{
		"GET /v1/installations/" + id + "/resources/db_1": {200, `{"id":"db_1","name":"newest"}`},
	})
	s.SetPartnerURL(p.URL)
	key := id + "/db_1"
	s.mu.Lock()
	s.rereadSeq[key], s.rereadApplied[key] = 2, 2 // a later read already landed
	s.mu.Unlock()
	s.reread(p.URL, key, 1, Reread{InstallationID: id, ResourceID: "db_1", Method: http.MethodGet, Path: resourceURL("", id, "db_1")})
	if rd := s.Rereads()[0]; !strings.Contains(rd.Error, "later read") {
		t.Errorf("stale re-read: %+v", rd)
	}
	if res, _ := s.Resource(id, "db_1"); res.Name != "main" {
		t.Errorf("a stale read overwrote the copy: %+v", res)
	}
}
