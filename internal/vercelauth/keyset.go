package vercelauth

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// DefaultRefreshInterval is the least time between two JWKS refetches caused
// by unknown kids or failed signatures.
const DefaultRefreshInterval = 10 * time.Second

const (
	fetchTimeout = 10 * time.Second
	maxJWKSBytes = 1 << 20
)

var errRefreshRefused = errors.New("key refresh refused: too soon")

// keyCache is one parsed JWKS. It is never changed once built, so readers
// share it without locks.
type keyCache struct {
	byKid map[string][]*rsa.PublicKey
	all   []*rsa.PublicKey
}

// candidates are the keys that may have signed a token with this kid; a
// token without a kid may have been signed by any of them.
func (c *keyCache) candidates(kid string) []*rsa.PublicKey {
	if c == nil {
		return nil
	}
	if kid == "" {
		return c.all
	}
	return c.byKid[kid]
}

// same reports whether c and o hold the same keys under the same kids.
func (c *keyCache) same(o *keyCache) bool {
	if c == nil || o == nil || len(c.all) != len(o.all) || len(c.byKid) != len(o.byKid) {
		return false
	}
	for i, k := range c.all {
		if !k.Equal(o.all[i]) {
			return false
		}
	}
	for kid, ks := range c.byKid {
		other := o.byKid[kid]
		if len(ks) != len(other) {
			return false
		}
		for i, k := range ks {
			if !k.Equal(other[i]) {
				return false
			}
		}
	}
	return true
}

// keySet caches Vercel's JWKS and refetches it on a miss, at most once per
// interval, with concurrent misses sharing one fetch.
type keySet struct {
	url      string
	client   *http.Client
	base     context.Context
	interval time.Duration
	now      func() time.Time

	cache atomic.Pointer[keyCache]

	mu     sync.Mutex
	next   time.Time // no refetch starts before this
	flight *flight

	fetches atomic.Int64
	refused atomic.Int64
}

// flight is one JWKS fetch that every concurrent miss waits on.
type flight struct {
	done  chan struct{}
	cache *keyCache
	err   error
}

func (ks *keySet) current() *keyCache { return ks.cache.Load() }

// refresh returns a cache newer than seen: one another caller already
// loaded, or the result of a fetch, shared or started here. When the guard
// refuses a fetch it returns seen and errRefreshRefused.
func (ks *keySet) refresh(ctx context.Context, seen *keyCache, kid string) (*keyCache, error) {
	ks.mu.Lock()
	if cur := ks.cache.Load(); cur != seen {
		ks.mu.Unlock()
		return cur, nil
	}
	f := ks.flight
	if f == nil {
		if ks.now().Before(ks.next) {
			ks.mu.Unlock()
			ks.refused.Add(1)
			return seen, errRefreshRefused
		}
		f = &flight{done: make(chan struct{})}
		ks.flight = f
		go ks.run(f, seen == nil, kid)
	}
	ks.mu.Unlock()
	select {
	case <-f.done:
		return f.cache, f.err
	case <-ctx.Done():
		return seen, ctx.Err()
	}
}

// run performs the fetch of f. The first successful load that has the
// wanted key leaves the guard open, so a key rotated soon after startup is
// still picked up at once; every other fetch closes it for the interval.
func (ks *keySet) run(f *flight, first bool, kid string) {
	cache, err := ks.fetch()
	ks.mu.Lock()
	defer ks.mu.Unlock()
	// Identical keys keep the loaded set, so tokens verified under it stay
	// cached: a forged token's refetch cannot flush them.
	if err == nil && !cache.same(ks.cache.Load()) {
		ks.cache.Store(cache)
	}
	if err != nil || !first || len(cache.candidates(kid)) == 0 {
		ks.next = ks.now().Add(ks.interval)
	}
	f.cache, f.err = ks.cache.Load(), err
	ks.flight = nil
	close(f.done)
}

// fetch downloads and parses the JWKS. It uses the verifier's own context,
// so one caller giving up does not fail the others waiting on it.
func (ks *keySet) fetch() (*keyCache, error) {
	ks.fetches.Add(1)
	ctx, cancel := context.WithTimeout(ks.base, fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ks.url, nil)
	if err != nil {
		return nil, fmt.Errorf("jwks request: %w", err)
	}
	resp, err := ks.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("jwks fetch: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("jwks fetch: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("jwks read: %w", err)
	}
	if len(body) > maxJWKSBytes {
		return nil, errors.New("jwks: body too large")
	}
	return parseJWKS(body)
}

// parseJWKS keeps the RSA signing keys usable for RS256 and skips any other
// entry, so one odd key does not hide the rest.
func parseJWKS(body []byte) (*keyCache, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	c := &keyCache{byKid: make(map[string][]*rsa.PublicKey, len(set.Keys))}
	for _, raw := range set.Keys {
		var k jose.JSONWebKey
		if k.UnmarshalJSON(raw) != nil || !usable(&k) {
			continue
		}
		pub := k.Key.(*rsa.PublicKey)
		c.all = append(c.all, pub)
		if k.KeyID != "" {
			c.byKid[k.KeyID] = append(c.byKid[k.KeyID], pub)
		}
	}
	if len(c.all) == 0 {
		return nil, errors.New("jwks: no RS256 signing keys")
	}
	return c, nil
}

func usable(k *jose.JSONWebKey) bool {
	_, isRSA := k.Key.(*rsa.PublicKey)
	return isRSA && (k.Use == "" || k.Use == "sig") &&
		(k.Algorithm == "" || k.Algorithm == string(jose.RS256))
}
