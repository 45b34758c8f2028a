package dashboard_test

import (
	"net/http"
	"testing"

	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// TestCallbackFloodIsBounded: fifty callbacks with made-up codes from one
// address start a bounded number of code exchanges at Vercel.
func TestCallbackFloodIsBounded(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t)
	before := len(e.sim.RequestsTo(vercelsim.RouteSSOToken))
	limited := 0
	for range 50 {
		u := vercelsim.SSOCallbackURL(e.srv.URL, "made-up-code", "state", nil)
		res, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusTooManyRequests {
			limited++
		}
	}
	if n := len(e.sim.RequestsTo(vercelsim.RouteSSOToken)) - before; n > 25 {
		t.Errorf("50 forged callbacks made %d code exchanges, want at most the burst", n)
	}
	if limited == 0 {
		t.Error("no callback was refused with 429")
	}
}
