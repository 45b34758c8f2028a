package app_test

import (
	"net/http"
	"testing"

	"github.com/vercel-partner/partner-server/internal/app/apptest"
	"github.com/vercel-partner/partner-server/internal/config"
)

// TestHSTSOnlyUnderHTTPS: Strict-Transport-Security is sent when public_url
// is https, on every surface, and never under plain http.
func TestHSTSOnlyUnderHTTPS(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		public string
		want   bool
	}{{"https://partner.example.com", true}, {"", false}} {
		e := apptest.New(t, apptest.Options{NoWorker: true, Config: func(c *config.Config) {
			if tc.public != "" {
				c.PublicURL = tc.public
			}
		}})
		for _, path := range []string{"/healthz", "/signin", "/v1/installations/icfg_x"} {
			res, err := http.Get(e.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if got := res.Header.Get("Strict-Transport-Security") != ""; got != tc.want {
				t.Errorf("public_url %q, %s: HSTS %v, want %v", tc.public, path, got, tc.want)
			}
		}
	}
}
