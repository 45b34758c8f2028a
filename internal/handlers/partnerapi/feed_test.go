package partnerapi_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestFeedModeLifecycle plays the partner's service: it follows the event
// feed, completes the provisioned resource through the internal API, and
// Vercel (the simulator) gets resource.updated and the secrets.
func TestFeedModeLifecycle(t *testing.T) {
	t.Parallel()
	e := newLifeEnv(t, nil)
	resp, err := e.sim.Provision(t.Context(), e.URL, testInstallation, e.provisionBody("cache", "redis-pro"))
	if err != nil || resp.Status != 200 {
		t.Fatalf("provision: %v %d %s", err, resp.Status, resp.Body)
	}
	rid, _ := resp.JSON["id"].(string)
	plan, _ := resp.JSON["billingPlan"].(map[string]any)
	md, _ := resp.JSON["metadata"].(map[string]any)
	if resp.JSON["status"] != "pending" || string(must(json.Marshal(resp.JSON["secrets"]))) != "[]" ||
		plan["id"] != "redis-pro" || plan["cost"] != "$20.00/month" || md["region"] != "iad1" || resp.JSON["productId"] != "redis" {
		t.Fatalf("provision answer %s", resp.Body)
	}

	reqs := e.feed(t, "resource.provision_requested")
	if len(reqs) != 1 || reqs[0]["subject"] != rid || reqs[0]["installationId"] != testInstallation {
		t.Fatalf("feed: %v", reqs)
	}
	if s, b := e.internal(t, "PATCH", "/installations/"+testInstallation+"/resources/"+rid, `{"status":"ready"}`); s != 200 {
		t.Fatalf("complete: %d %v", s, b)
	}
	if s, b := e.internal(t, "PUT", "/installations/"+testInstallation+"/resources/"+rid+"/secrets",
		`{"secrets":[{"name":"REDIS_URL","value":"redis://u:p@h:6379"}]}`); s/100 != 2 {
		t.Fatalf("secrets: %d %v", s, b)
	}
	waitFor(t, "resource.updated at Vercel", func() bool {
		for _, ev := range e.sim.Events(testInstallation) {
			if strings.Contains(string(ev), `"resource.updated"`) && strings.Contains(string(ev), rid) {
				return true
			}
		}
		return false
	})
	waitFor(t, "secrets at Vercel", func() bool {
		s := e.sim.Secrets(testInstallation, rid)
		return len(s) == 1 && s[0].Value == "redis://u:p@h:6379"
	})
	got, _ := e.sim.GetResource(t.Context(), e.URL, testInstallation, rid)
	if got.Status != 200 || got.JSON["status"] != "ready" || got.JSON["secrets"] != nil {
		t.Fatalf("GET after completion: %d %s", got.Status, got.Body)
	}
}

func TestResourceChangeRotateDelete(t *testing.T) {
	t.Parallel()
	e := newLifeEnv(t, nil)
	rid := e.provision(t, "cache", "redis-pro")
	ctx := t.Context()
	up, _ := e.sim.UpdateResource(ctx, e.URL, testInstallation, rid,
		map[string]any{"name": " renamed ", "billingPlanId": "redis-free", "metadata": map[string]any{"size": 3}, "status": "ready"})
	plan, _ := up.JSON["billingPlan"].(map[string]any)
	if up.Status != 200 || up.JSON["name"] != "renamed" || plan["id"] != "redis-free" || up.JSON["status"] != "ready" {
		t.Fatalf("patch: %d %s", up.Status, up.Body)
	}
	if len(e.feed(t, "resource.update_requested")) != 1 {
		t.Error("no resource.update_requested on the feed")
	}
	for _, c := range []struct {
		name   string
		rid    string
		body   map[string]any
		status int
		field  string
	}{
		{"disabled plan", rid, map[string]any{"billingPlanId": "redis-old"}, 400, "billingPlanId"},
		{"unknown status", rid, map[string]any{"status": "bogus"}, 400, "status"},
		{"bad metadata", rid, map[string]any{"metadata": map[string]any{"size": 0}}, 400, "metadata.size"},
		{"unknown resource", "res_nope", map[string]any{"name": "x"}, 404, ""},
	} {
		resp, _ := e.sim.UpdateResource(ctx, e.URL, testInstallation, c.rid, c.body)
		_, fields := errorOf(resp)
		if resp.Status != c.status || (c.field != "" && (len(fields) != 1 || fields[0] != c.field)) {
			t.Errorf("%s: %d %s", c.name, resp.Status, resp.Body)
		}
	}

	rot, _ := e.sim.RotateSecrets(ctx, e.URL, testInstallation, rid, []byte(`{"reason":"leaked","delayOldSecretsExpirationHours":1.5}`))
	if rot.Status != 200 || string(rot.Body) != "{\"sync\":false}\n" {
		t.Fatalf("rotate: %d %s", rot.Status, rot.Body)
	}
	asks := e.feed(t, "resource.secrets_rotation_requested")
	data, _ := json.Marshal(asks)
	if len(asks) != 1 || !strings.Contains(string(data), `"delayOldSecretsExpirationHours":1.5`) || !strings.Contains(string(data), `"reason":"leaked"`) {
		t.Errorf("rotation on the feed: %s", data)
	}
	for _, body := range []string{`{"delayOldSecretsExpirationHours":720.5}`, `{"delayOldSecretsExpirationHours":-1}`, `{"delayOldSecretsExpirationHours":"abc"}`} {
		if r, _ := e.sim.RotateSecrets(ctx, e.URL, testInstallation, rid, []byte(body)); r.Status != 400 {
			t.Errorf("rotate %s: %d %s", body, r.Status, r.Body)
		}
	}
	if r, _ := e.sim.RotateSecrets(ctx, e.URL, testInstallation, rid, []byte(`{"delayOldSecretsExpirationHours":720}`)); r.Status != 200 {
		t.Errorf("rotate 720h: %d %s", r.Status, r.Body)
	}
	if r, _ := e.sim.RotateSecrets(ctx, e.URL, testInstallation, "res_nope", nil); r.Status != 404 {
		t.Errorf("rotate unknown: %d", r.Status)
	}

	del, _ := e.sim.DeleteResource(ctx, e.URL, testInstallation, rid)
	if del.Status != 204 {
		t.Fatalf("delete: %d %s", del.Status, del.Body)
	}
	for _, resp := range []func() (int, string){
		func() (int, string) {
			r, _ := e.sim.GetResource(ctx, e.URL, testInstallation, rid)
			c, _ := errorOf(r)
			return r.Status, c
		},
		func() (int, string) {
			r, _ := e.sim.DeleteResource(ctx, e.URL, testInstallation, rid)
			c, _ := errorOf(r)
			return r.Status, c
		},
	} {
		if s, code := resp(); s != 404 || code != "not_found" {
			t.Errorf("after delete: %d %q", s, code)
		}
	}
	if len(e.feed(t, "resource.deleted")) != 1 {
		t.Error("no resource.deleted on the feed")
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}
