package vercelauth

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// mustHit verifies tok and fails unless it came from the cache.
func mustHit(t *testing.T, v *Verifier, tok string) *Claims {
	t.Helper()
	before := v.rsaChecks.Load()
	c, err := v.Verify(t.Context(), tok)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if n := v.rsaChecks.Load() - before; n != 0 {
		t.Fatalf("cached token: %d RSA checks, want 0", n)
	}
	return c
}

// mustMiss verifies tok and fails unless its signature was checked again.
func mustMiss(t *testing.T, v *Verifier, tok string) {
	t.Helper()
	before := v.rsaChecks.Load()
	mustVerify(t, v, tok)
	if v.rsaChecks.Load() == before {
		t.Fatal("token came from the cache, want a full verification")
	}
}

func TestVerifiedTokenIsCached(t *testing.T) {
	t.Parallel()
	k := testKeys()[0]
	e := newEnv(t, k)
	tok := signRS(t, k, e.claims())
	first, err := e.v.Verify(t.Context(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if e.v.rsaChecks.Load() != 1 {
		t.Fatalf("first Verify: %d RSA checks, want 1", e.v.rsaChecks.Load())
	}
	want := *first
	first.UserRole = RoleUser
	second := mustHit(t, e.v, tok)
	if *second != want {
		t.Fatalf("cached claims = %+v\nwant %+v", *second, want)
	}
	second.UserID = "changed"
	if third := mustHit(t, e.v, tok); *third != want {
		t.Fatalf("a caller changed the cached claims: %+v", *third)
	}
}

func TestCachedTokenExpires(t *testing.T) {
	t.Parallel()
	k := testKeys()[0]
	e := newEnv(t, k)
	tok := signRS(t, k, e.claims()) // exp in 5 minutes
	mustVerify(t, e.v, tok)
	e.clk.Add(5*time.Minute + Leeway)
	mustHit(t, e.v, tok)
	e.clk.Add(time.Second)
	if _, err := e.v.Verify(t.Context(), tok); err != errExpired {
		t.Fatalf("cached token past exp+Leeway: %v, want %v", err, errExpired)
	}
}

func TestTamperedSignatureMissesTheCache(t *testing.T) {
	t.Parallel()
	k := testKeys()[0]
	e := newEnv(t, k)
	good := signRS(t, k, e.claims())
	mustVerify(t, e.v, good)
	sig, err := base64.RawURLEncoding.DecodeString(good[strings.LastIndexByte(good, '.')+1:])
	if err != nil {
		t.Fatal(err)
	}
	sig[len(sig)/2] ^= 1
	tampered := resign(good, sig)
	refused := func() {
		t.Helper()
		before := e.v.rsaChecks.Load()
		if _, err := e.v.Verify(t.Context(), tampered); err != errSignature {
			t.Fatalf("tampered signature: %v, want %v", err, errSignature)
		}
		if e.v.rsaChecks.Load() == before {
			t.Fatal("tampered signature was not checked")
		}
	}
	refused() // refetches the keys, which are the same: the cache stays
	refused()
	mustHit(t, e.v, good)
	refused()
	mustHit(t, e.v, good)
	if got := e.fetches(); got != 2 {
		t.Errorf("JWKS fetches = %d, want 2", got)
	}
}

func TestRefusedTokenIsNotCached(t *testing.T) {
	t.Parallel()
	k := testKeys()[0]
	e := newEnv(t, k)
	tok := signRS(t, k, with(e.claims(), "aud", "oac_other"))
	for range 3 {
		before := e.v.rsaChecks.Load()
		if _, err := e.v.Verify(t.Context(), tok); err != errAudience {
			t.Fatalf("Verify = %v, want %v", err, errAudience)
		}
		if e.v.rsaChecks.Load() == before {
			t.Fatal("refused token came from the cache")
		}
	}
}

func TestCacheDroppedWhenKeysChange(t *testing.T) {
	t.Parallel()
	keys := testKeys()
	oldKey, newKey := keys[0], keys[1]

	t.Run("withdrawn key", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, oldKey)
		old := signRS(t, oldKey, e.claims())
		mustVerify(t, e.v, old)
		mustHit(t, e.v, old)
		e.srv.serve(newKey)
		e.clk.Add(testInterval)
		mustVerify(t, e.v, signRS(t, newKey, e.claims())) // refetches
		if got := e.fetches(); got != 2 {
			t.Fatalf("JWKS fetches = %d, want 2", got)
		}
		if _, err := e.v.Verify(t.Context(), old); err != errSignature {
			t.Fatalf("token of the withdrawn key: %v, want %v", err, errSignature)
		}
	})

	t.Run("same keys refetched", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, oldKey)
		tok := signRS(t, oldKey, e.claims())
		mustVerify(t, e.v, tok)
		e.clk.Add(testInterval)
		if _, err := e.v.Verify(t.Context(), unknownKids(tok, 1)[0]); err != errSignature {
			t.Fatalf("unknown kid: %v", err)
		}
		if got := e.fetches(); got != 2 {
			t.Fatalf("JWKS fetches = %d, want 2", got)
		}
		mustHit(t, e.v, tok) // nothing changed, so nothing is dropped
	})
}

func TestTokenCacheIsBounded(t *testing.T) {
	t.Parallel()
	c := newTokenCache(maxCachedTokens)
	keys := &keyCache{}
	claims := &Claims{Expiry: time.Unix(1<<33, 0)}
	now := time.Unix(1_800_000_000, 0)
	var kept tokenKey
	rand.Read(kept[:])
	c.put(kept, claims, keys)
	var last tokenKey
	for i := range 10 * maxCachedTokens {
		rand.Read(last[:])
		c.put(last, claims, keys)
		if i%100 == 0 {
			if _, ok := c.get(kept, keys, now); !ok {
				t.Fatalf("entry used every 100 puts was dropped after %d", i)
			}
		}
	}
	if n := c.len(); n > 2*maxCachedTokens || n < maxCachedTokens/2 {
		t.Errorf("%d entries after %d puts, want %d..%d", n, 10*maxCachedTokens, maxCachedTokens/2, 2*maxCachedTokens)
	}
	if _, ok := c.get(last, keys, now); !ok {
		t.Error("the last entry put is missing")
	}
}

func TestVerifierCacheIsBounded(t *testing.T) {
	t.Parallel()
	k := testKeys()[0]
	e := newEnv(t, k)
	const size = 32
	e.v.tokens = newTokenCache(size)
	toks := make([]string, 10*size)
	for i := range toks {
		toks[i] = signRS(t, k, with(e.claims(), "user_id", fmt.Sprint(i)))
		mustVerify(t, e.v, toks[i])
	}
	if n := e.v.tokens.len(); n > 2*size {
		t.Errorf("%d cached tokens, want at most %d", n, 2*size)
	}
	mustHit(t, e.v, toks[len(toks)-1])
	mustMiss(t, e.v, toks[0])
}

func TestConcurrentCachedVerify(t *testing.T) {
	t.Parallel()
	k := testKeys()[0]
	e := newEnv(t, k)
	toks := make([]string, 4)
	for i := range toks {
		toks[i] = signRS(t, k, with(e.claims(), "user_id", fmt.Sprint(i)))
	}
	const workers, rounds = 32, 200
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for r := range rounds {
				i := (w + r) % len(toks)
				c, err := e.v.Verify(t.Context(), toks[i])
				if err == nil && c.UserID != fmt.Sprint(i) {
					err = fmt.Errorf("token %d: user_id %q", i, c.UserID)
				}
				if err != nil {
					errs <- err
					return
				}
				c.UserEmail = "changed" // the race detector catches a shared value
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := e.v.rsaChecks.Load(); n > workers*int64(len(toks)) {
		t.Errorf("%d RSA checks for %d verifications of %d tokens", n, workers*rounds, len(toks))
	}
	for _, tok := range toks {
		if c := mustHit(t, e.v, tok); c.UserEmail != "" {
			t.Errorf("cached claims changed by a caller: %+v", c)
		}
	}
}
