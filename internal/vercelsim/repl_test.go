package vercelsim

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The Query box sends the input to the partner's REPL and the resource's
// card shows the blocks it answered; flags pushed for the resource and its
// global config show on the card too.
func TestResourceCardShowsQueryAnswerAndFlags(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	id, token, _ := newInstallation(t, s)
	p := newReadPartner(t, map[string]partnerAnswer{
		"POST /v1/installations/" + id + "/resources/db_1/repl": {200, `[{"type":"paragraph","children":[{"type":"text","text":"2 tables","bold":true}]},
			{"type":"table","header":[{"type":"text","text":"name"}],"rows":[[{"type":"text","text":"users"}]]}]`},
	})
	s.SetConsole(Console{PartnerURL: p.URL})
	page := postForm(t, s, "/console/"+id+"/resources/db_1/repl", url.Values{"input": {"tables"}})
	for _, want := range []string{"Queried “main”", "admin ran <code>tables</code>", "<b>2 tables</b>", "<th><span>name</span></th>", "<td><span>users</span></td>"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	p.mu.Lock()
	last := p.asked[len(p.asked)-1]
	p.mu.Unlock()
	if last.URL.Path != "/v1/installations/"+id+"/resources/db_1/repl" || last.Header.Get("Authorization") == "" {
		t.Errorf("the REPL call: %s %s", last.Method, last.URL.Path)
	}

	items := `{"items":[{"id":"flag_1","slug":"dark-mode","origin":"https://flags.example/1","category":"flag","name":"Dark mode"}]}`
	if r := call(t, s, http.MethodPost, "/v1/installations/"+id+"/resources/db_1/experimentation/items", token, parse(t, items)); r.status != http.StatusNoContent {
		t.Fatalf("items: %d %s", r.status, r.body)
	}
	if r := call(t, s, http.MethodPut, "/v1/installations/"+id+"/resources/db_1/experimentation/global-config", token,
		parse(t, `{"data":{"dark-mode":true}}`)); r.status != http.StatusOK {
		t.Fatalf("global config: %d %s", r.status, r.body)
	}
	page = getPage(t, s, "/")
	for _, want := range []string{"Dark mode", "<code>dark-mode</code>", `href="https://flags.example/1"`, "&#34;dark-mode&#34;: true"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

// Vercel's experimentation routes check their bodies as strictly as the
// rest of the API.
func TestExperimentationRoutesAreStrict(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	id, token, _ := newInstallation(t, s)
	base := "/v1/installations/" + id + "/resources/db_1/experimentation"
	for _, tc := range []struct {
		method, path, body string
		status             int
	}{
		{http.MethodPost, "/items", `{"items":[{"id":"a","slug":"s","origin":"https://x.example","extra":1}]}`, 400},
		{http.MethodPost, "/items", `{"items":[{"id":"a","slug":"s"}]}`, 400},
		{http.MethodPatch, "/items/nope", `{"slug":"s","origin":"https://x.example"}`, 404},
		{http.MethodPut, "/global-config", `{"data":1}`, 400},
		{http.MethodGet, "/global-config", ``, 200},
	} {
		var body any
		if tc.body != "" {
			body = parse(t, tc.body)
		}
		if r := call(t, s, tc.method, base+tc.path, token, body); r.status != tc.status {
			t.Errorf("%s %s: %d %s, want %d", tc.method, tc.path, r.status, r.body, tc.status)
		}
	}
}
