package dashboard

import (
	"context"
	"sync"
	"time"

	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelcall"
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
	info, err := b.Vercel.WithTimeout(accountTimeout).For(inst.ID).GetAccountInfo(ctx)
	switch {
	case err != nil:
		b.Log.WarnContext(ctx, "browser: getAccountInfo failed; showing the stored account name", "installation_id", inst.ID, "err", vercelcall.Error(err))
	case info.Name != "":
		name = info.Name
	}
	// A failure is cached too, so a Vercel outage costs one call per TTL.
	b.accounts.put(inst.ID, name, now)
	return name
}
