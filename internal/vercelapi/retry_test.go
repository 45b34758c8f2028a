package vercelapi

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// roundTripper answers requests in memory; inside a synctest bubble it makes
// the fake clock the only thing a retry waits on.
type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func response(status int, header map[string]string, body string) *http.Response {
	h := http.Header{}
	for k, v := range header {
		h.Set(k, v)
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body))}
}

// script answers attempt i with steps[i] (the last one repeats) and records
// when each attempt arrived and the body it carried.
type script struct {
	mu     sync.Mutex
	steps  []func() (*http.Response, error)
	times  []time.Time
	bodies []string
}

func (s *script) client(t *testing.T, p RetryPolicy) *Client {
	t.Helper()
	rt := roundTripper(func(r *http.Request) (*http.Response, error) {
		var body []byte
		if r.Body != nil {
			body, _ = io.ReadAll(r.Body)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.times = append(s.times, time.Now())
		s.bodies = append(s.bodies, string(body))
		return s.steps[min(len(s.times), len(s.steps))-1]()
	})
	c, err := NewClient("https://api.vercel.test", WithHTTPClient(&http.Client{Transport: rt}), WithRetryPolicy(p))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func answer(status int, header map[string]string, body string) func() (*http.Response, error) {
	return func() (*http.Response, error) { return response(status, header, body), nil }
}

func noJitter() RetryPolicy {
	return RetryPolicy{MaxAttempts: 3, InitialInterval: 100 * time.Millisecond, MaxInterval: 10 * time.Second, Multiplier: 2}
}

func TestRetry(t *testing.T) {
	t.Parallel()
	dialErr := func() (*http.Response, error) {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	}
	tests := []struct {
		name     string
		policy   RetryPolicy
		steps    []func() (*http.Response, error)
		timeout  time.Duration // context deadline, 0 for none
		attempts int
		elapsed  time.Duration
		wantErr  int // status of the returned *APIError; 0: success
	}{
		{"Retry-After seconds", DefaultRetryPolicy(),
			[]func() (*http.Response, error){answer(503, map[string]string{"Retry-After": "2"}, ""), answer(201, nil, "")},
			0, 2, 2 * time.Second, 0},
		{"retry-after-ms wins over Retry-After", DefaultRetryPolicy(),
			[]func() (*http.Response, error){answer(429, map[string]string{"Retry-After": "5", "Retry-After-Ms": "250"}, `{"error":{"code":"rate_limited"}}`), answer(201, nil, "")},
			0, 2, 250 * time.Millisecond, 0},
		{"Retry-After HTTP date", DefaultRetryPolicy(),
			[]func() (*http.Response, error){func() (*http.Response, error) {
				return response(503, map[string]string{"Retry-After": time.Now().Add(3 * time.Second).UTC().Format(http.TimeFormat)}, ""), nil
			}, answer(201, nil, "")},
			0, 2, 3 * time.Second, 0},
		{"exponential backoff stops at MaxAttempts", noJitter(),
			[]func() (*http.Response, error){answer(500, nil, "")},
			0, 3, 300 * time.Millisecond, 500},
		{"400 is never retried", DefaultRetryPolicy(),
			[]func() (*http.Response, error){answer(400, map[string]string{"Retry-After": "1"}, `{"error":{"code":"bad_request"}}`)},
			0, 1, 0, 400},
		{"single attempt policy", RetryPolicy{MaxAttempts: 1},
			[]func() (*http.Response, error){answer(503, nil, "")},
			0, 1, 0, 503},
		{"wait beyond the deadline is not started", DefaultRetryPolicy(),
			[]func() (*http.Response, error){answer(503, map[string]string{"Retry-After": "2"}, ""), answer(201, nil, "")},
			time.Second, 1, 0, 503},
		{"hint beyond MaxInterval is left to the caller", noJitter(),
			[]func() (*http.Response, error){answer(503, map[string]string{"Retry-After": "3600"}, ""), answer(201, nil, "")},
			0, 1, 0, 503},
		{"connection errors are retried", noJitter(),
			[]func() (*http.Response, error){dialErr, answer(201, nil, "")},
			0, 2, 100 * time.Millisecond, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				s := &script{steps: tt.steps}
				c := s.client(t, tt.policy)
				ctx := t.Context()
				if tt.timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.timeout)
					defer cancel()
				}
				start := time.Now()
				err := c.CreateEvent(ctx, testToken, testIcfg, ResourceUpdated("db_7Hq2Lx", ""))
				elapsed := time.Since(start)
				if len(s.times) != tt.attempts || elapsed != tt.elapsed {
					t.Errorf("attempts = %d after %v, want %d after %v", len(s.times), elapsed, tt.attempts, tt.elapsed)
				}
				if tt.wantErr == 0 && err != nil {
					t.Errorf("err = %v", err)
				}
				if ae, ok := errors.AsType[*APIError](err); tt.wantErr != 0 && (!ok || ae.StatusCode != tt.wantErr) {
					t.Errorf("err = %v, want status %d", err, tt.wantErr)
				}
				for i, b := range s.bodies {
					if b != s.bodies[0] || b == "" {
						t.Errorf("attempt %d sent %q, first sent %q", i, b, s.bodies[0])
					}
				}
			})
		})
	}
}

func TestRetryStopsWhenCallerCancels(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := &script{steps: []func() (*http.Response, error){answer(503, map[string]string{"Retry-After": "10"}, "")}}
		c := s.client(t, DefaultRetryPolicy())
		ctx, cancel := context.WithCancel(t.Context())
		go func() {
			time.Sleep(3 * time.Second)
			cancel()
		}()
		start := time.Now()
		err := c.FinalizeInstallation(ctx, testToken, testIcfg)
		if elapsed := time.Since(start); elapsed != 3*time.Second || len(s.times) != 1 {
			t.Errorf("returned after %v with %d attempts", elapsed, len(s.times))
		}
		if ae, ok := errors.AsType[*APIError](err); !ok || ae.StatusCode != 503 {
			t.Errorf("err = %v, want the last 503", err)
		}
	})
}

func TestSSOExchangeNotRetriedAfterAnswer(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := &script{steps: []func() (*http.Response, error){
			answer(503, map[string]string{"Retry-After": "1", "Content-Type": "application/json"}, `{"error":{"code":"internal_server_error","message":"try later"}}`),
			answer(200, map[string]string{"Content-Type": "application/json"}, docSSOResponse),
		}}
		c := s.client(t, DefaultRetryPolicy())
		_, err := c.ExchangeSSOToken(t.Context(), &SSOTokenRequest{Code: "kP2vX9qLr7", ClientID: "oac_x", ClientSecret: "shh"})
		if ae, ok := errors.AsType[*APIError](err); !ok || ae.StatusCode != 503 || ae.Code != "internal_server_error" {
			t.Errorf("err = %v", err)
		}
		if len(s.times) != 1 {
			t.Errorf("exchange sent %d times, want 1", len(s.times))
		}
	})
}

func TestSSOExchangeRetriedWhenNotConnected(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := &script{steps: []func() (*http.Response, error){
			func() (*http.Response, error) {
				return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("refused")}
			},
			answer(200, map[string]string{"Content-Type": "application/json"}, docSSOResponse),
		}}
		c := s.client(t, noJitter())
		tok, err := c.ExchangeSSOToken(t.Context(), &SSOTokenRequest{Code: "kP2vX9qLr7", ClientID: "oac_x", ClientSecret: "shh"})
		if err != nil || tok.IDToken == "" || len(s.times) != 2 {
			t.Errorf("token %v, err %v after %d attempts", tok, err, len(s.times))
		}
	})
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	p := DefaultRetryPolicy()
	for n, base := range []time.Duration{500 * time.Millisecond, 750 * time.Millisecond, 1125 * time.Millisecond} {
		for range 50 {
			if d := p.Backoff(n); d < base || d >= base+p.Jitter {
				t.Fatalf("Backoff(%d) = %v, want [%v, %v)", n, d, base, base+p.Jitter)
			}
		}
	}
	if d := p.Backoff(100); d != p.MaxInterval {
		t.Errorf("Backoff(100) = %v, want the %v cap", d, p.MaxInterval)
	}
	if d := (RetryPolicy{}).Backoff(3); d != 0 {
		t.Errorf("zero policy Backoff = %v", d)
	}
}
