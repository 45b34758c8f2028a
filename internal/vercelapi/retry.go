package vercelapi

import (
	"context"
	"math"
	"math/rand/v2"
	"time"
)

// RetryPolicy says how one method call retries retryable failures (see
// IsRetryable). The wait before retry n (n = 0, 1, ...) is
// InitialInterval·Multiplier^n plus a random jitter in [0, Jitter), capped at
// MaxInterval, unless Vercel sent retry-after-ms or Retry-After: that hint
// wins. A hint longer than MaxInterval, or a wait that would outlast the
// context's deadline, ends the call with the last error instead of waiting,
// so the caller can schedule the retry itself (see RetryAfter).
//
// The zero value, like RetryPolicy{MaxAttempts: 1}, makes a single attempt.
type RetryPolicy struct {
	MaxAttempts     int           // total attempts, including the first; < 1 means 1
	InitialInterval time.Duration // wait before the first retry
	MaxInterval     time.Duration // cap on any wait; 0 means no cap on backoff
	Multiplier      float64       // growth per retry; < 1 means 1
	Jitter          time.Duration // random extra wait, up to this much
}

// DefaultRetryPolicy is the SDK's schedule (lib/retries.ts) with three
// attempts: 500 ms initial, ×1.5, at most 60 s, plus up to 1 s of jitter.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		MaxAttempts:     3,
		InitialInterval: 500 * time.Millisecond,
		MaxInterval:     60 * time.Second,
		Multiplier:      1.5,
		Jitter:          time.Second,
	}
}

// Backoff returns the wait before retry n (0-based) when Vercel gave no hint.
func (p RetryPolicy) Backoff(n int) time.Duration {
	mult := max(p.Multiplier, 1)
	d := float64(p.InitialInterval) * math.Pow(mult, float64(n))
	if p.MaxInterval > 0 {
		d = min(d, float64(p.MaxInterval))
	}
	if p.Jitter > 0 {
		d += float64(rand.Int64N(int64(p.Jitter)))
	}
	if p.MaxInterval > 0 {
		d = min(d, float64(p.MaxInterval))
	}
	if d >= math.MaxInt64 {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(d)
}

// run calls attempt until it succeeds, fails for good, or the policy or ctx
// says stop; it returns the last attempt's error. It sleeps with a timer and
// select so testing/synctest can drive it.
func (p RetryPolicy) run(ctx context.Context, attempt func() error, retryable func(error) bool) error {
	attempts := max(p.MaxAttempts, 1)
	for n := 0; ; n++ {
		err := attempt()
		if err == nil || n+1 >= attempts || !retryable(err) || ctx.Err() != nil {
			return err
		}
		wait := RetryAfter(err)
		if wait > 0 {
			if p.MaxInterval > 0 && wait > p.MaxInterval {
				return err
			}
		} else {
			wait = p.Backoff(n)
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}
