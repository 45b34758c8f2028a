package main

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// result is one scenario's figures.
type result struct {
	name     string
	n        int // requests (or deliveries) completed
	errs     int
	firstErr error
	elapsed  time.Duration
	lat      []time.Duration // sorted; empty when latency is not measured
	cpu      cpuTimes        // used during the scenario (cpu.go)
}

func (r result) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.n) / r.elapsed.Seconds()
}

// quantile is the nearest-rank q-quantile of the latencies.
func (r result) quantile(q float64) (time.Duration, bool) {
	if len(r.lat) == 0 {
		return 0, false
	}
	i := int(q*float64(len(r.lat))+0.999999) - 1
	return r.lat[max(0, min(i, len(r.lat)-1))], true
}

// request is one call of a scenario; worker is the caller's index and
// i the request's sequence number across all workers.
type request func(ctx context.Context, worker, i int) error

// bounds stop a closed loop: after d, or after limit requests (0: none).
type bounds struct {
	d     time.Duration
	limit int
}

// loop runs conns workers, each sending its next request as soon as the
// last is answered, until the bounds are reached.
func loop(ctx context.Context, name string, conns int, b bounds, fn request) result {
	ctx, cancel := context.WithTimeout(ctx, b.d)
	defer cancel()
	var (
		seq atomic.Int64
		mu  sync.Mutex
		res = result{name: name}
		wg  sync.WaitGroup
	)
	begin, cpu := time.Now(), cpuSampler()
	for w := range conns {
		wg.Go(func() {
			lat, errs, first := work(ctx, w, &seq, b.limit, fn)
			mu.Lock()
			defer mu.Unlock()
			res.lat = append(res.lat, lat...)
			res.errs += errs
			if res.firstErr == nil {
				res.firstErr = first
			}
		})
	}
	wg.Wait()
	res.elapsed = time.Since(begin)
	res.cpu = cpuSampler().sub(cpu)
	res.n = len(res.lat)
	slices.Sort(res.lat)
	return res
}

func work(ctx context.Context, w int, seq *atomic.Int64, limit int, fn request) (lat []time.Duration, errs int, first error) {
	for ctx.Err() == nil {
		i := int(seq.Add(1)) - 1
		if limit > 0 && i >= limit {
			return
		}
		start := time.Now()
		err := fn(ctx, w, i)
		if ctx.Err() != nil {
			return // cut off by the deadline: neither counted nor an error
		}
		lat = append(lat, time.Since(start))
		if err != nil {
			errs++
			if first == nil {
				first = err
			}
		}
	}
	return
}
