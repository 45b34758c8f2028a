package app_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vercel-partner/partner-server/internal/app/apptest"
	"github.com/vercel-partner/partner-server/internal/config"
)

// TestUnreachableJWKSIsLoggedAsAnError: a refused token is the caller's
// problem (INFO), keys we cannot fetch are ours (ERROR).
func TestUnreachableJWKSIsLoggedAsAnError(t *testing.T) {
	t.Parallel()
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	e := apptest.New(t, apptest.Options{Config: func(c *config.Config) { c.Vercel.JWKSURL = gone.URL + "/jwks" }})
	for _, tc := range []struct{ token, level, reason string }{
		{e.Sim.SystemToken("icfg_logs0000000000000000001"), "ERROR", "signing keys unavailable"},
		{"not-a-jwt", "INFO", "malformed"},
	} {
		before := len(e.Logs.String())
		req, _ := http.NewRequest("GET", e.URL+"/v1/installations/icfg_logs0000000000000000001", nil)
		req.Header.Set("Authorization", "Bearer "+tc.token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 401 {
			t.Errorf("%s: status %d", tc.reason, res.StatusCode)
		}
		var found bool
		for _, line := range strings.Split(e.Logs.String()[before:], "\n") {
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) != nil || rec["msg"] != "vercel token refused" {
				continue
			}
			found = true
			if rec["level"] != tc.level || !strings.Contains(rec["reason"].(string), tc.reason) {
				t.Errorf("want %s with %q, got %v", tc.level, tc.reason, rec)
			}
		}
		if !found {
			t.Errorf("%s: no refusal logged", tc.reason)
		}
	}
}
