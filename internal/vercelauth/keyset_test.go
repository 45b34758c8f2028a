package vercelauth

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// unknownKids returns n copies of tok, each under a random kid.
func unknownKids(tok string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = reheader(tok, fmt.Sprintf(`{"alg":"RS256","kid":%q}`, rand.Text()))
	}
	return out
}

// verifyAll verifies toks from workers goroutines and returns the errors.
func verifyAll(ctx context.Context, v *Verifier, toks []string, workers int) []error {
	errs := make([]error, len(toks))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(toks); i += workers {
				_, errs[i] = v.Verify(ctx, toks[i])
			}
		})
	}
	wg.Wait()
	return errs
}

func TestUnknownKidBurstFetchesOncePerInterval(t *testing.T) {
	t.Parallel()
	k := testKeys()[0]
	for _, tc := range []struct {
		name    string
		warm    bool
		workers int
	}{
		{"cold, sequential", false, 1},
		{"cold, 50 goroutines", false, 50},
		{"warm, sequential", true, 1},
		{"warm, 50 goroutines", true, 50},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, k)
			good := signRS(t, k, e.claims())
			if tc.warm {
				if _, err := e.v.Verify(t.Context(), good); err != nil {
					t.Fatal(err)
				}
			}
			before := e.fetches()
			for i, err := range verifyAll(t.Context(), e.v, unknownKids(good, 1000), tc.workers) {
				if err != errSignature {
					t.Fatalf("token %d: %v, want %v", i, err, errSignature)
				}
			}
			if got := e.fetches() - before; got != 1 {
				t.Errorf("burst caused %d JWKS fetches, want 1", got)
			}
			if r := e.v.RefusedRefreshes(); r < 1 || r > 999 {
				t.Errorf("RefusedRefreshes = %d, want 1..999", r)
			}
			if tc.workers == 1 && e.v.RefusedRefreshes() != 999 {
				t.Errorf("RefusedRefreshes = %d, want 999", e.v.RefusedRefreshes())
			}
			if e.v.KeyFetches() != e.fetches() {
				t.Errorf("KeyFetches = %d, server saw %d", e.v.KeyFetches(), e.fetches())
			}
			if _, err := e.v.Verify(t.Context(), good); err != nil {
				t.Errorf("known key after the burst: %v", err)
			}
			e.clk.Add(testInterval)
			verifyAll(t.Context(), e.v, unknownKids(good, 100), tc.workers)
			if got := e.fetches() - before; got != 2 {
				t.Errorf("after the interval: %d fetches since the burst began, want 2", got)
			}
		})
	}
}

func TestConcurrentMissesShareOneFetch(t *testing.T) {
	t.Parallel()
	k := testKeys()[0]
	e := newEnv(t, k)
	release := e.srv.hold()
	defer release()
	toks := make([]string, 50)
	for i := range toks {
		toks[i] = signRS(t, k, with(e.claims(), "user_id", fmt.Sprint(i)))
	}
	done := make(chan []error)
	go func() { done <- verifyAll(t.Context(), e.v, toks, len(toks)) }()
	for e.fetches() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // let the other goroutines reach the fetch
	release()
	for i, err := range <-done {
		if err != nil {
			t.Errorf("token %d: %v", i, err)
		}
	}
	if got := e.fetches(); got != 1 {
		t.Errorf("%d JWKS fetches for 50 concurrent first tokens, want 1", got)
	}
}

func TestBadSignaturesRefetchAtMostOncePerInterval(t *testing.T) {
	t.Parallel()
	keys := testKeys()
	k, other := keys[0], keys[1]
	e := newEnv(t, k)
	good := signRS(t, k, e.claims())
	if _, err := e.v.Verify(t.Context(), good); err != nil {
		t.Fatal(err)
	}
	junk := make([]byte, 256)
	rand.Read(junk)
	var bad []string
	for range 100 {
		bad = append(bad,
			signRS(t, testKey{priv: other.priv, kid: k.kid}, e.claims()),
			resign(good, junk),
			resign(good, junk[:100]))
	}
	check := func(wantFetches int64) {
		t.Helper()
		for i, err := range verifyAll(t.Context(), e.v, bad, 50) {
			if err != errSignature {
				t.Fatalf("token %d: %v, want %v", i, err, errSignature)
			}
		}
		if got := e.fetches(); got != wantFetches {
			t.Errorf("JWKS fetches = %d, want %d", got, wantFetches)
		}
	}
	check(2)
	e.clk.Add(testInterval / 2)
	check(2)
	e.clk.Add(testInterval / 2)
	check(3)
	if _, err := e.v.Verify(t.Context(), good); err != nil {
		t.Errorf("good token after the bad ones: %v", err)
	}
}

func TestKeyRotation(t *testing.T) {
	t.Parallel()
	keys := testKeys()
	oldKey, newKey := keys[0], keys[1]

	t.Run("new kid is picked up once the interval has passed", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, oldKey)
		old := signRS(t, oldKey, e.claims())
		mustVerify(t, e.v, old)
		// An unknown kid closes the guard, so the rotation lands inside it.
		if _, err := e.v.Verify(t.Context(), unknownKids(old, 1)[0]); err != errSignature {
			t.Fatalf("unknown kid: %v", err)
		}
		e.srv.serve(newKey)
		fresh := signRS(t, newKey, e.claims())
		if _, err := e.v.Verify(t.Context(), fresh); err != errSignature {
			t.Fatalf("new key inside the interval: %v, want %v", err, errSignature)
		}
		e.clk.Add(testInterval)
		mustVerify(t, e.v, fresh)
		if got := e.fetches(); got != 3 {
			t.Errorf("JWKS fetches = %d, want 3", got)
		}
		if _, err := e.v.Verify(t.Context(), old); err != errSignature {
			t.Errorf("withdrawn key: %v, want %v", err, errSignature)
		}
	})

	t.Run("first rotation after startup is picked up at once", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, oldKey)
		old := signRS(t, oldKey, e.claims())
		mustVerify(t, e.v, old)
		e.srv.serve(newKey, oldKey)
		mustVerify(t, e.v, signRS(t, newKey, e.claims()))
		mustVerify(t, e.v, old)
		if got := e.fetches(); got != 2 {
			t.Errorf("JWKS fetches = %d, want 2", got)
		}
	})

	t.Run("new key under an old kid is picked up through a failed signature", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, oldKey)
		mustVerify(t, e.v, signRS(t, oldKey, e.claims()))
		e.clk.Add(time.Second)
		if _, err := e.v.Verify(t.Context(), unknownKids(signRS(t, oldKey, e.claims()), 1)[0]); err != errSignature {
			t.Fatalf("unknown kid: %v", err)
		}
		reused := testKey{priv: newKey.priv, kid: oldKey.kid}
		e.srv.serve(reused)
		tok := signRS(t, reused, e.claims())
		if _, err := e.v.Verify(t.Context(), tok); err != errSignature {
			t.Fatalf("inside the interval: %v, want %v", err, errSignature)
		}
		e.clk.Add(testInterval)
		mustVerify(t, e.v, signRS(t, reused, e.claims()))
	})

	t.Run("real clock, 50ms interval", func(t *testing.T) {
		t.Parallel()
		srv := newJWKSServer(t, oldKey)
		v := NewVerifierWithOptions(t.Context(), testIssuer, srv.URL, testClientID, nil,
			Options{RefreshInterval: 50 * time.Millisecond})
		now := time.Now()
		claims := map[string]any{"iss": testIssuer, "aud": testClientID, "exp": now.Add(time.Minute).Unix()}
		fresh := signRS(t, newKey, claims)
		v.Verify(t.Context(), unknownKids(signRS(t, oldKey, claims), 1)[0])
		srv.serve(newKey)
		if _, err := v.Verify(t.Context(), fresh); err != errSignature {
			t.Fatalf("inside the interval: %v, want %v", err, errSignature)
		}
		time.Sleep(60 * time.Millisecond)
		mustVerify(t, v, fresh)
	})
}

func mustVerify(t *testing.T, v *Verifier, tok string) {
	t.Helper()
	if _, err := v.Verify(t.Context(), tok); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

func TestKeysUnavailable(t *testing.T) {
	t.Parallel()
	k := testKeys()[0]
	for _, tc := range []struct {
		name   string
		status int
		body   string
	}{
		{"server error", http.StatusInternalServerError, `{"keys":[]}`},
		{"not JSON", http.StatusOK, `<html>`},
		{"no keys", http.StatusOK, `{"keys":[]}`},
		{"only keys of other kinds", http.StatusOK, `{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"key-a"}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.srv.serveRaw(tc.status, []byte(tc.body))
			tok := signRS(t, k, e.claims())
			for range 3 {
				if _, err := e.v.Verify(t.Context(), tok); err != errKeysUnavailable {
					t.Fatalf("Verify = %v, want %v", err, errKeysUnavailable)
				}
			}
			if e.fetches() != 1 || e.v.RefusedRefreshes() != 2 {
				t.Errorf("fetches %d, refused %d; want 1 and 2", e.fetches(), e.v.RefusedRefreshes())
			}
			e.srv.serve(k)
			e.clk.Add(testInterval)
			mustVerify(t, e.v, tok)
		})
	}
}

func TestOddKeysDoNotHideGoodOnes(t *testing.T) {
	t.Parallel()
	k := testKeys()[0]
	e := newEnv(t)
	good := newJWKSServer(t, k)
	body := fmt.Sprintf(`{"keys":[{"kty":"XYZ","kid":"odd"},{"kty":"oct","k":"c2VjcmV0","kid":"key-a"},%s]}`,
		jwksKeys(t, good))
	e.srv.serveRaw(http.StatusOK, []byte(body))
	mustVerify(t, e.v, signRS(t, k, e.claims()))
}

// jwksKeys returns the members of the keys array s serves.
func jwksKeys(t *testing.T, s *jwksServer) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	b := string(s.body)
	const prefix = `{"keys":[`
	if len(b) < len(prefix)+2 || b[:len(prefix)] != prefix {
		t.Fatalf("unexpected JWKS %s", b)
	}
	return b[len(prefix) : len(b)-2]
}

func TestCallerGivingUpDoesNotFailTheFetch(t *testing.T) {
	t.Parallel()
	k := testKeys()[0]
	e := newEnv(t, k)
	release := e.srv.hold()
	defer release()
	tok := signRS(t, k, e.claims())
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() {
		_, err := e.v.Verify(ctx, tok)
		done <- err
	}()
	for e.fetches() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != errKeysUnavailable {
		t.Fatalf("cancelled caller: %v, want %v", err, errKeysUnavailable)
	}
	release()
	for deadline := time.Now().Add(5 * time.Second); e.v.keys.current() == nil; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the fetch never stored its keys")
		}
	}
	mustVerify(t, e.v, tok)
	if got := e.fetches(); got != 1 {
		t.Errorf("JWKS fetches = %d, want 1", got)
	}
}
