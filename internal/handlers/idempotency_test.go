package handlers

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/db/dbtest"
)

// idemServer serves PUT /things/{id} behind the middleware (keys scoped
// per id). The handler counts its runs and answers what answer says.
type idemServer struct {
	*httptest.Server
	store  *db.Idempotency
	runs   atomic.Int32
	answer func(run int32, body string) (int, string)
	delay  time.Duration
	// hold, when set, runs before the answer; keyed, when set, answers.
	hold  func(r *http.Request, run int32)
	keyed func(r *http.Request, run int32) (int, string)
	mu    sync.Mutex
	refs  []string // the claim's Ref each run saw
}

func (s *idemServer) seenRefs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.refs...)
}

func newIdemServer(t *testing.T, d *db.DB, m *Idempotency) *idemServer {
	s := &idemServer{store: db.NewIdempotency(d)}
	m.Store = s.store
	s.answer = func(run int32, body string) (int, string) {
		return http.StatusCreated, fmt.Sprintf(`{"run":%d,"got":%q}`, run, body)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := s.runs.Add(1)
		s.mu.Lock()
		s.refs = append(s.refs, Keyed(r, func(struct{}) Answer { return Answer{} }).Ref)
		s.mu.Unlock()
		b, _ := io.ReadAll(r.Body)
		time.Sleep(s.delay)
		if s.hold != nil {
			s.hold(r, n)
		}
		status, out := s.answer(n, string(b))
		if s.keyed != nil {
			status, out = s.keyed(r, n)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, out)
	})
	mux := http.NewServeMux()
	mux.Handle("/things/{id}", m.Middleware(func(r *http.Request) string { return "test:" + r.PathValue("id") })(h))
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

type answer struct {
	status   int
	body     string
	replayed string
}

func (s *idemServer) send(t *testing.T, method, path, key, body string) answer {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return answer{}
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return answer{res.StatusCode, string(b), res.Header.Get("Idempotent-Replayed")}
}

func TestIdempotencyReplaysAndRefuses(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newIdemServer(t, d, &Idempotency{})
		first := s.send(t, "PUT", "/things/a", "k1", `{"n":1}`)
		if first.status != 201 || first.replayed != "" || !strings.Contains(first.body, `"run":1`) {
			t.Fatalf("first: %+v", first)
		}
		again := s.send(t, "PUT", "/things/a", "k1", `{"n":1}`)
		if again.status != 201 || again.body != first.body || again.replayed != "true" {
			t.Errorf("repeat: %+v, want the first answer replayed", again)
		}
		for _, tc := range []struct{ name, method, body string }{
			{"other body", "PUT", `{"n":2}`},
			{"other method", "POST", `{"n":1}`},
		} {
			got := s.send(t, tc.method, "/things/a", "k1", tc.body)
			if got.status != 409 || !strings.Contains(got.body, `"idempotency_key_reused"`) {
				t.Errorf("%s: %+v, want 409 idempotency_key_reused", tc.name, got)
			}
		}
		// Keys are per scope, and requests without a key always run.
		if got := s.send(t, "PUT", "/things/b", "k1", `{"n":2}`); got.status != 201 || got.replayed != "" {
			t.Errorf("same key in another scope: %+v", got)
		}
		s.send(t, "PUT", "/things/a", "", `{"n":1}`)
		if got := s.send(t, "PUT", "/things/a", strings.Repeat("k", 256), `{}`); got.status != 400 {
			t.Errorf("overlong key: %+v, want 400", got)
		}
		if n := s.runs.Load(); n != 3 {
			t.Errorf("handler ran %d times, want 3", n)
		}
	})
}

func TestIdempotencyDoesNotKeepServerErrors(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newIdemServer(t, d, &Idempotency{})
		s.answer = func(run int32, body string) (int, string) {
			if run == 1 {
				return http.StatusServiceUnavailable, `{"error":{"code":"unavailable"}}`
			}
			return http.StatusOK, fmt.Sprintf(`{"run":%d}`, run)
		}
		if got := s.send(t, "PUT", "/things/a", "k", `{}`); got.status != 503 {
			t.Fatalf("first: %+v", got)
		}
		retry := s.send(t, "PUT", "/things/a", "k", `{}`)
		if retry.status != 200 || retry.replayed != "" || retry.body != `{"run":2}` {
			t.Errorf("retry after a 5xx: %+v, want a fresh run", retry)
		}
		if got := s.send(t, "PUT", "/things/a", "k", `{}`); got.status != 200 || got.body != retry.body || got.replayed != "true" {
			t.Errorf("repeat of the success: %+v", got)
		}
	})
}

func TestIdempotencyConcurrentRepeatsRunOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newIdemServer(t, d, &Idempotency{})
		s.delay = 100 * time.Millisecond // the repeats arrive while the first runs
		answers := make([]answer, 20)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range answers {
			wg.Go(func() {
				<-start
				answers[i] = s.send(t, "PUT", "/things/a", "same", `{"n":1}`)
			})
		}
		close(start)
		wg.Wait()
		if n := s.runs.Load(); n != 1 {
			t.Fatalf("handler ran %d times, want 1", n)
		}
		replays := 0
		for i, a := range answers {
			if a.status != answers[0].status || a.body != answers[0].body || a.status != 201 {
				t.Errorf("answer %d: %+v, answer 0: %+v", i, a, answers[0])
			}
			if a.replayed == "true" {
				replays++
			}
		}
		if replays != 19 {
			t.Errorf("%d replays, want 19", replays)
		}
	})
}

func TestIdempotencyClaims(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newIdemServer(t, d, &Idempotency{Bound: time.Minute, Wait: 100 * time.Millisecond})
		body := `{"n":1}`
		req := httptest.NewRequest("PUT", "/things/a", nil)
		hash := requestHash(req, []byte(body))
		claim := func(key, hash string, at time.Time) {
			if c, err := s.store.ClaimKey(t.Context(), "test:a", key, hash, at, time.Minute); err != nil || !c.Owned {
				t.Fatalf("claim %s: %+v %v", key, c, err)
			}
		}
		// A claim whose request died an hour ago is taken over.
		claim("abandoned", hash, time.Now().Add(-time.Hour))
		if got := s.send(t, "PUT", "/things/a", "abandoned", body); got.status != 201 || got.replayed != "" {
			t.Errorf("abandoned claim: %+v, want the request run", got)
		}
		// A live claim makes a repeat wait, then give up with 409.
		claim("running", hash, time.Now())
		if got := s.send(t, "PUT", "/things/a", "running", body); got.status != 409 || !strings.Contains(got.body, `"idempotency_key_in_use"`) {
			t.Errorf("live claim: %+v, want 409 idempotency_key_in_use", got)
		}
		// An abandoned claim of another request is not this one's to take.
		claim("other", "another-hash", time.Now().Add(-time.Hour))
		if got := s.send(t, "PUT", "/things/a", "other", body); got.status != 409 || !strings.Contains(got.body, `"idempotency_key_reused"`) {
			t.Errorf("another request's claim: %+v, want 409 idempotency_key_reused", got)
		}
		if n := s.runs.Load(); n != 1 {
			t.Errorf("handler ran %d times, want 1", n)
		}
	})
}
