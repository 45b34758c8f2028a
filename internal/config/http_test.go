package config

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestTrustedProxies(t *testing.T) {
	t.Parallel()
	base := map[string]string{"PARTNER_ENCRYPTION_KEY": testKey, "PARTNER_VERCEL_CLIENT_ID": "oac_x", "PARTNER_VERCEL_CLIENT_SECRET": "s"}
	c, err := Load("", env(base))
	if err != nil {
		t.Fatal(err)
	}
	if p, err := c.HTTP.Proxies(); err != nil || len(p) != 0 {
		t.Errorf("default: %v %v, want none", p, err)
	}
	base["PARTNER_HTTP_TRUSTED_PROXIES"] = "10.0.0.0/8, 192.168.1.5,fd00::/8, 172.16.1.9/12"
	if c, err = Load("", env(base)); err != nil {
		t.Fatal(err)
	}
	got, err := c.HTTP.Proxies()
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.5/32"),
		netip.MustParsePrefix("fd00::/8"), netip.MustParsePrefix("172.16.0.0/12")}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("proxies %v %v, want %v", got, err, want)
	}
	base["PARTNER_HTTP_TRUSTED_PROXIES"] = "10.0.0.0/8,proxy.internal"
	if _, err = Load("", env(base)); err == nil || !strings.Contains(err.Error(), `http.trusted_proxies[1]: "proxy.internal"`) {
		t.Errorf("a bad entry: %v, want the key and the entry named", err)
	}
}
