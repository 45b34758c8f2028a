package internalapi_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/deliveries"
)

// rssMB reads this process's resident set (VmRSS) and peak (VmHWM).
func rssMB() (cur, peak float64) {
	data, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && (f[0] == "VmRSS:" || f[0] == "VmHWM:") {
			kb, _ := strconv.ParseFloat(f[1], 64)
			if f[0] == "VmRSS:" {
				cur = kb / 1024
			} else {
				peak = kb / 1024
			}
		}
	}
	return
}

// BenchmarkAcceptedWrites measures internal writes accepted per second over
// HTTP on SQLite (each recorded, attempted inline against the simulator and
// answered), with parallel callers. The simulator runs in this process, so
// RSS includes it.
func BenchmarkAcceptedWrites(b *testing.B) {
	e := newInternalEnv(b, fastRetries)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var n atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			body := fmt.Sprintf(`{"event":{"type":"resource.updated","resourceId":"r%d"}}`, i%64)
			req, _ := http.NewRequest("POST", e.srv.URL+"/internal/v1"+base+"/events", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+internalToken)
			res, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 200 && res.StatusCode != 202 {
				b.Fatalf("status %d", res.StatusCode)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
	_, peak := rssMB()
	b.ReportMetric(peak, "peakRSS_MB")
}

// BenchmarkDeliveries measures background deliveries per second: b.N
// writes are accepted while Vercel is down (spread over 256 ordering
// keys), then the worker delivers them all to the simulator.
func BenchmarkDeliveries(b *testing.B) {
	opts := fastRetries
	opts.Workers = 16
	opts.BaseBackoff = time.Millisecond
	opts.MaxBackoff = time.Millisecond
	e := newInternalEnv(b, opts)
	e.sim.SetDown(true)
	ctx := context.Background()
	for i := range b.N {
		if _, err := e.svc.Enqueue(ctx, deliveries.CreateEvent(testInstallation, eventRequest(fmt.Sprintf("r%d", i%64)))); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	e.sim.SetDown(false)
	e.svc.Wake()
	for {
		var pending int
		e.db.GetContext(ctx, &pending, `SELECT COUNT(*) FROM deliveries WHERE status = 'pending'`)
		if pending == 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.StopTimer()
	var dead int
	e.db.GetContext(ctx, &dead, `SELECT COUNT(*) FROM deliveries WHERE status != 'delivered'`)
	if dead != 0 {
		b.Fatalf("%d deliveries not delivered", dead)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
	_, peak := rssMB()
	b.ReportMetric(peak, "peakRSS_MB")
}
