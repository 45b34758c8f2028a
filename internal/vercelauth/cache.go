package vercelauth

import (
	"crypto/sha256"
	"sync"
	"time"
)

// maxCachedTokens bounds each of the two generations of the token cache.
const maxCachedTokens = 10_000

// cacheShards spreads the cache over several locks; a power of two.
const cacheShards = 16

// tokenKey is the SHA-256 of a whole token: header, payload and signature.
type tokenKey [sha256.Size]byte

// cachedToken is a token that passed every check, with the key set it was
// verified under. Only exp is checked again: nbf and iat only become more
// true as time passes.
type cachedToken struct {
	claims Claims
	keys   *keyCache
}

// tokenCache remembers verified tokens in two generations per shard: when
// the current one is full it becomes the previous one and the older is
// dropped, so a shard holds at most twice its share of entries.
type tokenCache struct {
	shards [cacheShards]cacheShard
}

type cacheShard struct {
	mu        sync.Mutex
	max       int
	cur, prev map[tokenKey]cachedToken
}

func newTokenCache(size int) *tokenCache {
	c := &tokenCache{}
	for i := range c.shards {
		c.shards[i].max = max(1, size/cacheShards)
		c.shards[i].cur = make(map[tokenKey]cachedToken)
	}
	return c
}

func (c *tokenCache) shard(k tokenKey) *cacheShard {
	return &c.shards[k[0]%cacheShards]
}

// get returns a copy of the claims cached under k, if they were verified
// under keys and the token has not expired at now.
func (c *tokenCache) get(k tokenKey, keys *keyCache, now time.Time) (*Claims, bool) {
	s := c.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.cur[k]
	if !ok {
		if e, ok = s.prev[k]; !ok {
			return nil, false
		}
		delete(s.prev, k)
		s.add(k, e)
	}
	if e.keys != keys || now.After(e.claims.Expiry.Add(Leeway)) {
		delete(s.cur, k)
		return nil, false
	}
	claims := e.claims
	return &claims, true
}

// put caches claims, verified under keys, for the token hashed to k.
func (c *tokenCache) put(k tokenKey, claims *Claims, keys *keyCache) {
	s := c.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.prev, k)
	s.add(k, cachedToken{claims: *claims, keys: keys})
}

func (s *cacheShard) add(k tokenKey, e cachedToken) {
	if _, ok := s.cur[k]; !ok && len(s.cur) >= s.max {
		s.prev, s.cur = s.cur, make(map[tokenKey]cachedToken, s.max)
	}
	s.cur[k] = e
}

// len counts the cached entries, for tests.
func (c *tokenCache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += len(s.cur) + len(s.prev)
		s.mu.Unlock()
	}
	return n
}
