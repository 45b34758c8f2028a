package vercelsim

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var importHref = regexp.MustCompile(`id="import-resource" href="([^"]+)"`)

// TestImportReturnTakesOnlyTheStateItSent opens the Import Resource URL
// link the page shows and comes back the way a partner's page does.
func TestImportReturnTakesOnlyTheStateItSent(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	s.RegisterInstallation("icfg_a", "tok_a")
	s.SetConsole(Console{ImportURL: "https://partner.example/import", Products: []string{"postgres"}})
	m := importHref.FindStringSubmatch(getPage(t, s, "/"))
	if m == nil {
		t.Fatal("no Import resource link on the page")
	}
	link, err := url.Parse(strings.ReplaceAll(m[1], "&amp;", "&"))
	if err != nil {
		t.Fatal(err)
	}
	q := link.Query()
	if link.Host != "partner.example" || q.Get("installation_id") != "icfg_a" || q.Get("product_id") != "postgres" ||
		q.Get("return") != s.URL()+"/import/return" || len(q.Get("state")) < 20 {
		t.Fatalf("import link %s", link)
	}
	back := func(state, rid string) string {
		return flashOf(t, getPage(t, s, "/import/return?"+url.Values{"installation_id": {"icfg_a"},
			"resource_id": {rid}, "state": {state}}.Encode()))
	}
	if got := back("forged", "pg_1"); !strings.Contains(got, "did not send") {
		t.Errorf("a forged state: %q", got)
	}
	s.SetResource("icfg_a", "pg_1", Resource{ProductID: "postgres", Name: "analytics", Ownership: "linked"})
	if got := back(q.Get("state"), "pg_1"); !strings.Contains(got, "Imported “analytics” (linked)") {
		t.Errorf("the state sent: %q", got)
	}
	if got := back(q.Get("state"), "pg_1"); !strings.Contains(got, "did not send") {
		t.Errorf("the same state twice: %q", got)
	}
}
