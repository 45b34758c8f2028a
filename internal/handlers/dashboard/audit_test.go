package dashboard_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// logRecords returns the JSON log lines with message msg.
func logRecords(t *testing.T, logs, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

func TestAdminActionsLogTheActor(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t)
	admin, _ := e.signIn(t, dashAdmin, vercelapi.RoleAdmin, nil)
	page := e.srv.URL + "/dashboard/resources/" + dashResource
	for _, action := range []string{"rename", "rotate"} {
		if r := postForm(t, admin, page+"/"+action, url.Values{"name": {"orders-db"}, "confirm": {"yes"}}, "Origin", e.srv.URL); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: %d %.300s", action, r.StatusCode, r.body)
		}
	}
	recs := logRecords(t, e.logs.String(), "dashboard: admin action")
	if len(recs) != 2 {
		t.Fatalf("want 2 admin action lines, got %d: %v", len(recs), recs)
	}
	for i, action := range []string{"renamed", "rotation_requested"} {
		rec := recs[i]
		want := map[string]any{"level": "INFO", "action": action, "installation_id": dashInst, "user_id": dashAdmin,
			"role": "ADMIN", "resource_id": dashResource}
		for k, v := range want {
			if rec[k] != v {
				t.Errorf("%s: %s = %v, want %v", action, k, rec[k], v)
			}
		}
		if id, _ := rec["request_id"].(string); id == "" {
			t.Errorf("%s: no request_id in %v", action, rec)
		}
		if id, _ := rec["delivery_id"].(string); id == "" && action == "renamed" {
			t.Errorf("%s: no delivery_id in %v", action, rec)
		}
	}
}
