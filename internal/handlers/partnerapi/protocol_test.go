package partnerapi_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
)

// protocolSettings from provision and PATCH are kept as sent and served
// back by GET; null clears them; what is not an object is refused.
func TestProtocolSettingsAreKeptAndServedBack(t *testing.T) {
	t.Parallel()
	e := newLifeEnv(t, nil)
	body := e.provisionBody("flags", "redis-pro")
	body["protocolSettings"] = map[string]any{"experimentation": map[string]any{"edgeConfigId": "ecfg_1"}}
	resp, err := e.sim.Provision(t.Context(), e.URL, testInstallation, body)
	if err != nil || resp.Status != http.StatusOK {
		t.Fatalf("provision: %v %d %s", err, resp.Status, resp.Body)
	}
	id := resp.JSON["id"].(string)
	settings := func() string {
		t.Helper()
		got, err := e.sim.GetResource(t.Context(), e.URL, testInstallation, id)
		if err != nil || got.Status != http.StatusOK {
			t.Fatalf("get: %v %d %s", err, got.Status, got.Body)
		}
		b, _ := json.Marshal(got.JSON["protocolSettings"])
		return string(b)
	}
	if got := settings(); got != `{"experimentation":{"edgeConfigId":"ecfg_1"}}` {
		t.Errorf("after provision: %s", got)
	}
	change := map[string]any{"protocolSettings": map[string]any{"experimentation": map[string]any{"edgeConfigId": "ecfg_2",
		"edgeConfigSyncingEnabled": true}}}
	if resp, err := e.sim.UpdateResource(t.Context(), e.URL, testInstallation, id, change); err != nil || resp.Status != http.StatusOK {
		t.Fatalf("patch: %v %d %s", err, resp.Status, resp.Body)
	}
	if got := settings(); got != `{"experimentation":{"edgeConfigId":"ecfg_2","edgeConfigSyncingEnabled":true}}` {
		t.Errorf("after patch: %s", got)
	}
	if resp, _ := e.sim.UpdateResource(t.Context(), e.URL, testInstallation, id, map[string]any{"name": "renamed"}); resp.Status != http.StatusOK {
		t.Fatalf("rename: %d %s", resp.Status, resp.Body)
	}
	if got := settings(); got != `{"experimentation":{"edgeConfigId":"ecfg_2","edgeConfigSyncingEnabled":true}}` {
		t.Errorf("a patch without protocolSettings changed them: %s", got)
	}
	for _, bad := range []any{[]int{1}, "edge", 3} {
		resp, _ := e.sim.UpdateResource(t.Context(), e.URL, testInstallation, id, map[string]any{"protocolSettings": bad})
		if _, fields := errorOf(resp); resp.Status != http.StatusBadRequest || !slices.Equal(fields, []string{"protocolSettings"}) {
			t.Errorf("protocolSettings %v: %d %s", bad, resp.Status, resp.Body)
		}
	}
	if resp, _ := e.sim.UpdateResource(t.Context(), e.URL, testInstallation, id, map[string]any{"protocolSettings": nil}); resp.Status != http.StatusOK {
		t.Fatalf("clear: %d %s", resp.Status, resp.Body)
	}
	if got := settings(); got != "null" {
		t.Errorf("after clearing: %s", got)
	}
}
