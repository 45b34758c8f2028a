package dashboard

import (
	"net/http"
	"sync"
	"time"

	"github.com/vercel-partner/partner-server/internal/handlers"
)

// exchangeLimiter bounds the SSO code exchanges one client address can
// make us start: a token bucket per address, so fifty forged callbacks
// cost at most a burst of calls to Vercel, not fifty.
type exchangeLimiter struct {
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

func newExchangeLimiter(burst int, every time.Duration) *exchangeLimiter {
	return &exchangeLimiter{burst: burst, every: every, seen: map[string]bucket{}}
}

// allow takes a token for r's client address: the peer, or behind
// trusted proxies the client they name (handlers.ClientAddress).
func (l *exchangeLimiter) allow(r *http.Request, now time.Time) bool {
	host := handlers.ClientAddr(r)
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
