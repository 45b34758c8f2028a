package dashboard_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// BenchmarkCallback measures the server's time handling GET /callback
// (code exchange and getMember against the local simulator, verification,
// session creation) and reports the median and p90 per sign-in. Issuing
// the code is outside the timed span.
//
//	go test -run '^$' -bench BenchmarkCallback -benchtime 500x ./internal/handlers/
func BenchmarkCallback(b *testing.B) {
	e := newDashEnv(b)
	var times []time.Duration
	for b.Loop() {
		b.StopTimer()
		code := e.sim.IssueSSOCode(dashInst, dashAdmin, vercelapi.RoleAdmin, nil)
		req := httptest.NewRequest(http.MethodGet, vercelsim.SSOCallbackURL(e.srv.URL, code, "state", nil), nil)
		rec := httptest.NewRecorder()
		b.StartTimer()
		start := time.Now()
		e.handler.ServeHTTP(rec, req)
		times = append(times, time.Since(start))
		if rec.Code != http.StatusSeeOther {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "ms-median")
	b.ReportMetric(float64(times[len(times)*9/10].Microseconds())/1000, "ms-p90")
}
