package deliveries

import "time"

// Options tune the service; zero values take the defaults noted, which
// are the queue's defaults everywhere (config.example.yaml documents the
// same values, and a test in internal/app keeps them in step).
type Options struct {
	FirstAttemptTimeout time.Duration // in-request attempt deadline; 3s
	AttemptTimeout      time.Duration // background attempt deadline; 30s
	MaxAge              time.Duration // a delivery still failing after this is dead; 72h
	BaseBackoff         time.Duration // wait after the first failure; 1s
	MaxBackoff          time.Duration // cap on the wait; 5m
	Workers             int           // concurrent background attempts; 8
	PollInterval        time.Duration // idle re-check of the table; 1s
	// DeadAfterRepeats: a delivery that Vercel answers with the same
	// error this many times in a row cannot heal and goes dead; 10.
	DeadAfterRepeats int
}

// DefaultOptions are the queue's timings when nothing else is said.
func DefaultOptions() Options {
	return Options{FirstAttemptTimeout: 3 * time.Second, AttemptTimeout: 30 * time.Second, MaxAge: 72 * time.Hour,
		BaseBackoff: time.Second, MaxBackoff: 5 * time.Minute, Workers: 8, PollInterval: time.Second, DeadAfterRepeats: 10}
}

// withDefaults fills every zero field from DefaultOptions.
func (o Options) withDefaults() Options {
	def := DefaultOptions()
	dur := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	dur(&o.FirstAttemptTimeout, def.FirstAttemptTimeout)
	dur(&o.AttemptTimeout, def.AttemptTimeout)
	dur(&o.MaxAge, def.MaxAge)
	dur(&o.BaseBackoff, def.BaseBackoff)
	dur(&o.MaxBackoff, def.MaxBackoff)
	dur(&o.PollInterval, def.PollInterval)
	if o.Workers <= 0 {
		o.Workers = def.Workers
	}
	if o.DeadAfterRepeats <= 0 {
		o.DeadAfterRepeats = def.DeadAfterRepeats
	}
	return o
}

// lease is how long an attempt holds its delivery: its deadline plus a
// margin for recording the outcome. An attempt cut short by a crash
// holds the delivery this long before another process tries it.
func (o Options) lease() time.Duration { return o.AttemptTimeout + leaseMargin }

const (
	leaseMargin = 10 * time.Second
	// recordTimeout bounds the recording of a delivery, which no longer
	// ends with its caller's context.
	recordTimeout = 30 * time.Second
	// CancelReason is the last error of a delivery an operator gave up.
	CancelReason = "cancelled by an operator"
)
