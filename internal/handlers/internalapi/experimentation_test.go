package internalapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

const itemsPath = "/installations/" + testInstallation + "/resources/" + testResource + "/experimentation"

// Items and the global config written while Vercel is down wait, then
// reach it in the order they were accepted; the global config reads
// through.
func TestExperimentationReachesVercelInOrderAcrossAnOutage(t *testing.T) {
	t.Parallel()
	e := newInternalEnv(t, fastRetries)
	e.sim.SetMode(vercelsim.ModeDown)
	writes := []struct{ method, path, body string }{
		{"POST", "/items", `{"items":[{"id":"flag_a","slug":"new-checkout","origin":"https://flags.example/a","category":"flag"},
			{"id":"exp_b","slug":"pricing","origin":"https://flags.example/b","category":"experiment","name":"Pricing"}]}`},
		{"PATCH", "/items/flag_a", `{"slug":"new-checkout","origin":"https://flags.example/a","name":"New checkout","isArchived":true}`},
		{"DELETE", "/items/exp_b", ``},
		{"PUT", "/global-config", `{"data":{"new-checkout":true,"limit":3}}`},
		{"POST", "/items", `{"items":[{"id":"flag_c","slug":"dark-mode","origin":"https://flags.example/c"}]}`},
		{"PUT", "/global-config", `{"data":{"new-checkout":false}}`},
	}
	var ids []string
	for _, w := range writes {
		status, body := e.call(t, w.method, itemsPath+w.path, w.body)
		if status != http.StatusAccepted || deliveryOf(body)["status"] != "pending" {
			t.Fatalf("%s %s while Vercel is down: %d %v", w.method, w.path, status, body)
		}
		ids = append(ids, deliveryOf(body)["id"].(string))
	}
	e.sim.SetMode(vercelsim.ModeUp)
	for _, id := range ids {
		if d := e.waitDelivery(t, id); d["status"] != "delivered" {
			t.Fatalf("delivery %s: %v", id, d)
		}
	}
	items := e.sim.Items(testInstallation, testResource)
	if len(items) != 2 || items[0].ID != "flag_a" || items[0].Name != "New checkout" || !items[0].IsArchived || items[1].ID != "flag_c" {
		t.Errorf("Vercel's items: %+v", items)
	}
	var order []string
	for _, r := range e.sim.Requests() {
		if strings.Contains(r.Path, "/experimentation/") && r.Status/100 == 2 {
			order = append(order, r.Method+" "+r.Path[strings.Index(r.Path, "/experimentation"):])
		}
	}
	want := []string{"POST /experimentation/items", "PATCH /experimentation/items/flag_a", "DELETE /experimentation/items/exp_b",
		"PUT /experimentation/global-config", "POST /experimentation/items", "PUT /experimentation/global-config"}
	if strings.Join(order, ",") != strings.Join(want, ",") {
		t.Errorf("Vercel accepted %q, want %q", order, want)
	}
	status, body := e.call(t, "GET", itemsPath+"/global-config", "")
	if cfg, _ := body["items"].(map[string]any); status != 200 || cfg["new-checkout"] != false || body["digest"] == "" {
		t.Errorf("GET global-config: %d %v", status, body)
	}
}

// Bad bodies are refused with the bad keys named, and reach nothing.
func TestExperimentationBadInput(t *testing.T) {
	t.Parallel()
	e := newInternalEnv(t, fastRetries)
	cases := []struct {
		name, method, path, body string
		status                   int
		field                    string
	}{
		{"unknown key", "POST", itemsPath + "/items", `{"items":[{"id":"a","slug":"s","origin":"https://x.example","color":"red"}]}`, 400, "items[0].color"},
		{"bad origin", "POST", itemsPath + "/items", `{"items":[{"id":"a","slug":"s","origin":"javascript:alert(1)"}]}`, 400, "items[0].origin"},
		{"relative origin", "PATCH", itemsPath + "/items/a", `{"slug":"s","origin":"/flags/a"}`, 400, "origin"},
		{"NUL", "POST", itemsPath + "/items", `{"items":[{"id":"a","slug":"s\u0000","origin":"https://x.example"}]}`, 400, "items[0].slug"},
		{"no items", "POST", itemsPath + "/items", `{"items":[]}`, 400, "items"},
		{"missing slug", "POST", itemsPath + "/items", `{"items":[{"id":"a","origin":"https://x.example"}]}`, 400, "items[0].slug"},
		{"repeated id", "POST", itemsPath + "/items", `{"items":[{"id":"a","slug":"s","origin":"https://x.example"},{"id":"a","slug":"t","origin":"https://x.example"}]}`, 400, "items[1].id"},
		{"bad category", "POST", itemsPath + "/items", `{"items":[{"id":"a","slug":"s","origin":"https://x.example","category":"toggle"}]}`, 400, "items[0].category"},
		{"config not an object", "PUT", itemsPath + "/global-config", `{"data":[1]}`, 400, "data"},
		{"config unknown key", "PUT", itemsPath + "/global-config", `{"data":{},"purpose":"flags"}`, 400, "purpose"},
		{"unknown resource", "POST", "/installations/" + testInstallation + "/resources/res_nope/experimentation/items",
			`{"items":[{"id":"a","slug":"s","origin":"https://x.example"}]}`, 404, ""},
	}
	for _, tc := range cases {
		status, body := e.call(t, tc.method, tc.path, tc.body)
		if status != tc.status || (tc.field != "" && !strings.Contains(toJSON(body), `"key":"`+tc.field+`"`)) {
			t.Errorf("%s: %d %v, want %d naming %q", tc.name, status, body, tc.status, tc.field)
		}
	}
	for _, r := range e.sim.Requests() {
		if strings.Contains(r.Path, "/experimentation/") {
			t.Errorf("a refused write reached Vercel: %s %s", r.Method, r.Path)
		}
	}
}
