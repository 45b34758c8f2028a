package main

import (
	"context"
	"encoding/base64"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/provisioning"
)

// TestDemoHookAnswersARepeatLikeTheFirst: the demo's hook deduplicates by
// webhook-id, as the hook rules ask of a partner's service: a provision
// retried after a crash gets the same secrets; another operation new ones.
func TestDemoHookAnswersARepeatLikeTheFirst(t *testing.T) {
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("demo-hook-test-key-0123456789"))
	h, err := startDemoHook(secret)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	c, err := provisioning.New(h.url, secret, 5*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	call := func(id string) string {
		t.Helper()
		ans, err := c.Call(context.Background(), provisioning.Request{Type: provisioning.TypeProvision, InstallationID: "icfg_1",
			Resource: map[string]string{"id": "res_1", "name": "main"}, WebhookID: id})
		if err != nil || len(ans.Secrets) == 0 {
			t.Fatalf("%s: %+v %v", id, ans, err)
		}
		return ans.Secrets[0].Value
	}
	first, again, other := call("msg_op1"), call("msg_op1"), call("msg_op2")
	if first != again || first == other {
		t.Errorf("secrets %q, %q, %q: want the first twice, then new ones", first, again, other)
	}
}
