package dashboard_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vercel-partner/partner-server/internal/app/apptest"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// pushItems has the partner's service push items for dashResource
// through the internal API.
func (e *dashEnv) pushItems(t *testing.T, body string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/internal/v1/installations/"+dashInst+"/resources/"+dashResource+
		"/experimentation/items", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+apptest.InternalToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusAccepted {
		t.Fatalf("push items: %d", resp.StatusCode)
	}
}

// experimentation_item_id opens the item's page, by its id or as
// "<kind>:<id>"; an item we do not have lands on the dashboard.
func TestItemDeepLinkOpensTheItem(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t)
	e.pushItems(t, `{"items":[{"id":"123","slug":"new-checkout","origin":"https://flags.example/123","category":"flag",
		"name":"New checkout","description":"Moves checkout to one page"},
		{"id":"exp_9","slug":"pricing-test","origin":"https://flags.example/exp_9","category":"experiment","isArchived":true}]}`)
	tests := []struct {
		name, item, want, shows string
	}{
		{"kind and id", "flag:123", "/dashboard/items/123", "New checkout"},
		{"plain id", "exp_9", "/dashboard/items/exp_9", "pricing-test"},
		{"unknown item", "flag:999", "/dashboard", "main-db"},
		{"control characters", "flag:\x01", "/dashboard", "main-db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, loc := e.signIn(t, dashUser, vercelapi.RoleUser, url.Values{"experimentation_item_id": {tt.item}})
			if loc != tt.want {
				t.Fatalf("Location = %q, want %q", loc, tt.want)
			}
			p := get(t, c, e.srv.URL+loc)
			if p.StatusCode != http.StatusOK || !strings.Contains(p.body, tt.shows) {
				t.Fatalf("%s: %d %.400s", loc, p.StatusCode, p.body)
			}
		})
	}
	c, _ := e.signIn(t, dashAdmin, vercelapi.RoleAdmin, nil)
	p := get(t, c, e.srv.URL+"/dashboard/items/123")
	for _, want := range []string{"Flag", "new-checkout", `href="https://flags.example/123"`, "Moves checkout to one page", "main-db"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the item page lacks %q", want)
		}
	}
	if p := get(t, c, e.srv.URL+"/dashboard/items/nope"); p.StatusCode != http.StatusNotFound {
		t.Errorf("unknown item: %d", p.StatusCode)
	}
	if p := get(t, e.browser(t), e.srv.URL+"/dashboard/items/123"); p.StatusCode != http.StatusSeeOther {
		t.Errorf("without a session: %d", p.StatusCode)
	}
}
