package config

import (
	"strings"
	"testing"
	"time"
)

func TestProvisioningKeys(t *testing.T) {
	t.Parallel()
	secret := "whsec_" + testKey
	cases := []struct {
		name, url, secret, timeout string
		wantErr                    string
	}{
		{name: "feed mode", wantErr: ""},
		{name: "hook", url: "https://svc.example/hook", secret: secret},
		{name: "hook without secret", url: "https://svc.example/hook", wantErr: "provisioning.hook_secret"},
		{name: "secret without prefix", url: "https://svc.example/hook", secret: testKey, wantErr: "provisioning.hook_secret"},
		{name: "secret without hook", secret: secret, wantErr: "provisioning.hook_secret"},
		{name: "bad url", url: "ftp://x", secret: secret, wantErr: "provisioning.hook_url"},
		{name: "timeout too long", url: "https://svc.example/hook", secret: secret, timeout: "1h", wantErr: "provisioning.hook_timeout"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load("", env(map[string]string{
				"PARTNER_ENCRYPTION_KEY": testKey, "PARTNER_VERCEL_CLIENT_ID": "oac_x", "PARTNER_VERCEL_CLIENT_SECRET": "s",
				"PARTNER_PROVISIONING_HOOK_URL": tc.url, "PARTNER_PROVISIONING_HOOK_SECRET": tc.secret,
				"PARTNER_PROVISIONING_HOOK_TIMEOUT": tc.timeout,
			}))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if c.Provisioning.HookTimeout != 10*time.Second {
					t.Errorf("hook_timeout default = %v", c.Provisioning.HookTimeout)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want one naming %s", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), testKey) {
				t.Error("the error shows the secret")
			}
		})
	}
}
