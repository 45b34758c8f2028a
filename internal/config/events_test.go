package config

import (
	"strings"
	"testing"
	"time"
)

func TestEventPushKeys(t *testing.T) {
	t.Parallel()
	secret := "whsec_" + testKey
	cases := []struct {
		name, url, secret, timeout string
		wantErr                    string
	}{
		{name: "pull only"},
		{name: "push", url: "https://svc.example/events", secret: secret},
		{name: "push without secret", url: "https://svc.example/events", wantErr: "events.push_secret"},
		{name: "secret without prefix", url: "https://svc.example/events", secret: testKey, wantErr: "events.push_secret"},
		{name: "short secret", url: "https://svc.example/events", secret: "whsec_c2hvcnQ=", wantErr: "events.push_secret"},
		{name: "secret without url", secret: secret, wantErr: "events.push_secret"},
		{name: "bad url", url: "ftp://x", secret: secret, wantErr: "events.push_url"},
		{name: "timeout too long", url: "https://svc.example/events", secret: secret, timeout: "1h", wantErr: "events.push_timeout"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load("", env(map[string]string{
				"PARTNER_ENCRYPTION_KEY": testKey, "PARTNER_VERCEL_CLIENT_ID": "oac_x", "PARTNER_VERCEL_CLIENT_SECRET": "s",
				"PARTNER_EVENTS_PUSH_URL": tc.url, "PARTNER_EVENTS_PUSH_SECRET": tc.secret,
				"PARTNER_EVENTS_PUSH_TIMEOUT": tc.timeout,
			}))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if c.Events.PushTimeout != 10*time.Second {
					t.Errorf("push_timeout default = %v", c.Events.PushTimeout)
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
