package handlers

import (
	"net/http"
	"sync"
	"time"
)

// RateLimiter bounds what one client address can make us start (SSO code
// exchanges, staff sign-ins): a token bucket per address, so fifty forged
// requests cost at most a burst of work, not fifty.
type RateLimiter struct {
	burst int
	every time.Duration // one token back per interval
	mu    sync.Mutex
	seen  map[string]bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// maxLimited bounds the table; past it, it starts over.
const maxLimited = 10000

// NewRateLimiter allows a burst per address, then one more every interval.
func NewRateLimiter(burst int, every time.Duration) *RateLimiter {
	return &RateLimiter{burst: burst, every: every, seen: map[string]bucket{}}
}

// Allow takes a token for r's client address: the peer, or behind
// trusted proxies the client they name (ClientAddress).
func (l *RateLimiter) Allow(r *http.Request, now time.Time) bool {
	host := ClientAddr(r)
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.seen[host]
	if !ok {
		if len(l.seen) >= maxLimited {
			clear(l.seen)
		}
		b = bucket{tokens: float64(l.burst), at: now}
	}
	b.tokens = min(float64(l.burst), b.tokens+float64(now.Sub(b.at))/float64(l.every))
	b.at = now
	if b.tokens < 1 {
		l.seen[host] = b
		return false
	}
	b.tokens--
	l.seen[host] = b
	return true
}
