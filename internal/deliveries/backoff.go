package deliveries

import (
	"math/rand/v2"
	"time"
)

// backoff is the wait before the next attempt after attempts failures:
// base·2^(attempts-1), capped at max, with "equal jitter" (half fixed, half
// random) so that retries of many deliveries spread out. Vercel's own
// hint (retry-after-ms or Retry-After) wins when it sent one.
func backoff(attempts int, base, maxWait, hint time.Duration) time.Duration {
	if hint > 0 {
		return hint
	}
	d := base
	for i := 1; i < attempts && d < maxWait; i++ {
		d *= 2
	}
	d = min(d, maxWait)
	if half := d / 2; half > 0 {
		d = half + rand.N(half+1)
	}
	return d
}
