package handlers

import (
	"context"
	"sync"
	"time"

	"github.com/vercel-partner/partner-server/internal/installations"
)

// accountTimeout bounds the getAccountInfo call a page waits for.
const accountTimeout = 3 * time.Second

// maxCachedAccounts bounds the cache; past it, it starts over.
const maxCachedAccounts = 10000

// accountCache keeps getAccountInfo's account name per installation for a
// short while, so pages do not call Vercel on every view.
type accountCache struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]cachedAccount
}

type cachedAccount struct {
	name    string
	fetched time.Time
}

func newAccountCache(ttl time.Duration) *accountCache {
	return &accountCache{ttl: ttl, m: map[string]cachedAccount{}}
}

func (c *accountCache) get(id string, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.m[id]
	return a.name, ok && now.Sub(a.fetched) < c.ttl
}

func (c *accountCache) put(id, name string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCachedAccounts {
		clear(c.m)
	}
	c.m[id] = cachedAccount{name: name, fetched: now}
}

// accountName is the Vercel account's current name (getAccountInfo),
// falling back to the name stored at installation when Vercel fails.
func (b *Browser) accountName(ctx context.Context, inst installations.Installation) string {
	now := time.Now()
	if name, ok := b.accounts.get(inst.ID, now); ok {
		return name
	}
	name := inst.Account.Name
	token, err := b.Installations.Token(ctx, inst.ID)
	if err == nil {
		actx, cancel := context.WithTimeout(ctx, accountTimeout)
		info, err := b.Vercel.GetAccountInfo(actx, token, inst.ID)
		cancel()
		if err == nil {
			if info.Name != "" {
				name = info.Name
			}
		} else {
			b.Log.WarnContext(ctx, "browser: getAccountInfo failed; showing the stored account name", "installation_id", inst.ID, "err", err)
		}
	}
	// A failure is cached too, so a Vercel outage costs one call per TTL.
	b.accounts.put(inst.ID, name, now)
	return name
}
