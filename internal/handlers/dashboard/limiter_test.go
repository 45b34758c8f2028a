package dashboard_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/vercel-partner/partner-server/internal/config"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
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

// callbackFrom GETs u as if a proxy had forwarded it for client.
func callbackFrom(t *testing.T, c *http.Client, u, client string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("X-Forwarded-For", client)
	return do(t, c, req).StatusCode
}

// TestSignInsBehindATrustedProxyAreLimitedPerClient: behind a trusted
// proxy, one client flooding the callback with bogus codes is limited,
// and other people's sign-ins through the same proxy still succeed; the
// request log names each real client.
func TestSignInsBehindATrustedProxyAreLimitedPerClient(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, func(c *config.Config) { c.HTTP.TrustedProxies = []string{"127.0.0.1/32", "::1"} })
	limited := 0
	for range 50 {
		u := vercelsim.SSOCallbackURL(e.srv.URL, "made-up-code", "state", nil)
		if callbackFrom(t, http.DefaultClient, u, "203.0.113.9") == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited == 0 {
		t.Fatal("the flooding client was never refused with 429")
	}
	for i := range 5 {
		client := fmt.Sprintf("198.51.100.%d", i+1)
		u, _ := e.callbackURL(dashAdmin, vercelapi.RoleAdmin, nil)
		if status := callbackFrom(t, e.browser(t), u, "6.6.6.6, "+client); status != http.StatusSeeOther {
			t.Errorf("sign-in %d from %s: %d, want 303", i+1, client, status)
		}
	}
	clients := map[any]int{}
	for _, rec := range logRecords(t, e.logs.String(), "request") {
		if rec["route"] == "/callback" {
			clients[rec["client"]]++
		}
	}
	if clients["203.0.113.9"] != 50 || clients["198.51.100.1"] != 1 || clients["6.6.6.6"] != 0 {
		t.Errorf("request log clients %v, want the forwarded clients", clients)
	}
}

// TestForwardedForFromAnUntrustedPeerIsIgnored: without trusted proxies
// the peer is the client, so changing X-Forwarded-For escapes no limit.
func TestForwardedForFromAnUntrustedPeerIsIgnored(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t)
	limited := 0
	for i := range 50 {
		u := vercelsim.SSOCallbackURL(e.srv.URL, "made-up-code", "state", nil)
		if callbackFrom(t, http.DefaultClient, u, fmt.Sprintf("203.0.113.%d", i+1)) == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited == 0 {
		t.Error("callbacks claiming fifty addresses were never refused with 429")
	}
	for _, rec := range logRecords(t, e.logs.String(), "request") {
		if rec["route"] == "/callback" && rec["client"] != "127.0.0.1" {
			t.Fatalf("request log client %v, want the peer", rec["client"])
		}
	}
}
