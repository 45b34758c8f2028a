package vercelsim

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// getPage fetches a console page and returns its HTML.
func getPage(t *testing.T, s *Sim, path string) string {
	t.Helper()
	res, err := http.Get(s.URL() + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, res.StatusCode, b)
	}
	return string(b)
}

// postForm submits a console form and returns the page it redirects to.
func postForm(t *testing.T, s *Sim, path string, form url.Values) string {
	t.Helper()
	res, err := http.PostForm(s.URL()+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Request.URL.RawQuery, "flash=") {
		t.Fatalf("POST %s: landed on %s with %d", path, res.Request.URL, res.StatusCode)
	}
	return string(b)
}

var flashText = regexp.MustCompile(`(?s)id="flash" role="status"><p>(.*?)</p>`)

func flashOf(t *testing.T, page string) string {
	t.Helper()
	m := flashText.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no flash on the page:\n%.1500s", page)
	}
	return m[1]
}

var requestLine = regexp.MustCompile(`<b class="request-line">([A-Z]+) ([^<]*)</b>`)

// requestLines lists the "METHOD path" lines a /requests page shows.
func requestLines(page string) []string {
	var out []string
	for _, m := range requestLine.FindAllStringSubmatch(page, -1) {
		out = append(out, m[1]+" "+m[2])
	}
	return out
}

func TestRequestsPageIsPagedNewestFirst(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	for i := range 120 {
		call(t, s, http.MethodGet, fmt.Sprintf("/no-such-route/%03d", i), "", nil)
	}
	first := getPage(t, s, "/requests")
	lines := requestLines(first)
	if len(lines) != requestsPerPage || lines[0] != "GET /no-such-route/119" || lines[49] != "GET /no-such-route/070" {
		t.Fatalf("page 1: %d lines, first %q", len(lines), lines[:min(len(lines), 2)])
	}
	if !strings.Contains(first, `href="/requests?page=2" id="older"`) || strings.Contains(first, `id="newer"`) {
		t.Error("page 1 does not link to page 2 only")
	}
	last := getPage(t, s, "/requests?page=3")
	if lines := requestLines(last); len(lines) != 20 || lines[19] != "GET /no-such-route/000" {
		t.Errorf("page 3: %d lines", len(lines))
	}
	if !strings.Contains(last, `id="newer"`) || strings.Contains(last, `id="older"`) {
		t.Error("page 3 does not link back only")
	}
	if lines := requestLines(getPage(t, s, "/requests?page=99")); len(lines) != 20 {
		t.Errorf("a page past the end shows %d lines, want the last page", len(lines))
	}
}

func TestRequestsPageFilters(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	id, token, _ := newInstallation(t, s)
	call(t, s, http.MethodGet, "/v1/installations/"+id+"/account", token, nil)
	call(t, s, http.MethodGet, "/v1/installations/"+id+"/member/nobody", token, nil) // 404
	call(t, s, http.MethodPost, "/v1/installations/"+id+"/events", token, parse(t, `{"event":{"type":"installation.updated"}}`))
	call(t, s, http.MethodPost, "/v1/installations/"+id+"/events", "wrong-token", parse(t, `{"event":{"type":"installation.updated"}}`))
	tests := []struct {
		query string
		want  []string
	}{
		{"method=POST&path=%2Fevents", []string{"POST /v1/installations/" + id + "/events", "POST /v1/installations/" + id + "/events"}},
		{"status=4xx", []string{"POST /v1/installations/" + id + "/events", "GET /v1/installations/" + id + "/member/nobody"}},
		{"status=failed&method=GET", []string{"GET /v1/installations/" + id + "/member/nobody"}},
		{"path=ACCOUNT", []string{"GET /v1/installations/" + id + "/account"}},
		{"status=401", []string{"POST /v1/installations/" + id + "/events"}},
		{"method=DELETE", nil},
		{"method=BREW&status=nonsense", []string{ // unknown values filter nothing
			"POST /v1/installations/" + id + "/events", "POST /v1/installations/" + id + "/events",
			"GET /v1/installations/" + id + "/member/nobody", "GET /v1/installations/" + id + "/account",
			"POST /v1/installations/" + id + "/billing/invoices"}},
	}
	for _, tt := range tests {
		page := getPage(t, s, "/requests?"+tt.query)
		if got := requestLines(page); strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
			t.Errorf("?%s shows\n%s\nwant\n%s", tt.query, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
		}
	}
}

func TestRequestsPageShowsRereads(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	id, token, _ := newInstallation(t, s)
	s.SetPartnerURL(newReadPartner(t, nil).URL) // answers 404 to everything
	call(t, s, http.MethodPost, "/v1/installations/"+id+"/events", token, parse(t, `{"event":{"type":"resource.updated","resourceId":"db_1"}}`))
	waitRereads(t, s, 1)
	page := getPage(t, s, "/requests?status=failed")
	if lines := requestLines(page); len(lines) != 1 || lines[0] != "GET /v1/installations/"+id+"/resources/db_1" ||
		!strings.Contains(page, "Not applied: the partner answered 404 Not Found: no such thing.") {
		t.Errorf("the failed re-read is not on the page: %q\n%.2000s", lines, page)
	}
}

func TestMemberRoleSelectShowsTheMembersRole(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	id, _, _ := newInstallation(t, s)
	s.SetMember(id, "admin1", "ADMIN", "ada@acme.dev")
	s.SetMember(id, "user1", "USER", "grace@acme.dev")
	page := getPage(t, s, "/")
	for member, role := range map[string]string{"admin1": "ADMIN", "user1": "USER"} {
		row := regexp.MustCompile(`(?s)<tr data-member="` + member + `">.*?</tr>`).FindString(page)
		selected := regexp.MustCompile(`<option selected>([A-Z]+)</option>`).FindAllStringSubmatch(row, -1)
		if len(selected) != 1 || selected[0][1] != role {
			t.Errorf("%s (%s): selected options %v", member, role, selected)
		}
	}
}

func TestInvoicePeriodIsReadable(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	id, _, _ := newInstallation(t, s) // its invoice covers October 2026
	page := getPage(t, s, "/")
	if !strings.Contains(page, `<td data-label="Period" class="invoice-period">1–31 Oct 2026</td>`) || strings.Contains(page, "2026-10-01T00:00") {
		t.Errorf("invoice period of %s is not shown as days:\n%s", id, regexp.MustCompile(`(?s)<section id="invoices">.*?</section>`).FindString(page))
	}
}

func TestConsoleFlashesAreSentences(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	id, _, _ := newInstallation(t, s)
	p := newReadPartner(t, map[string]partnerAnswer{
		"POST /v1/installations/" + id + "/resources": {400, `{"error":{"code":"validation_error","message":"Input has failed validation",
		 "fields":[{"key":"billingPlanId","message":"no such plan"}]}}`},
		"POST /webhooks/vercel": {200, `{}`},
	})
	s.SetConsole(Console{PartnerURL: p.URL})
	tests := []struct {
		path string
		form url.Values
		want string // the flash, or its start
	}{
		{"/console/mode", url.Values{"mode": {"rate-limited"}}, "Vercel&#39;s API is rate-limiting: every call of the partner now gets 429 Too Many Requests."},
		{"/console/mode", url.Values{"mode": {"sideways"}}, "There is no mode “sideways”; choose up, down or rate-limited."},
		{"/console/" + id + "/resources", url.Values{"name": {"orders"}, "plan": {"postgres/gold"}},
			"Could not create “orders”: the partner answered 400 Bad Request: Input has failed validation (billingPlanId: no such plan)."},
		{"/console/" + id + "/resources", url.Values{"name": {"orders"}, "plan": {"postgres/gold"}, "metadata": {"[1]"}},
			"Could not create “orders”: the metadata is not a JSON object ("},
		{"/console/" + id + "/webhooks/member", url.Values{"member": {DefaultAdminUserID}, "role": {"USER"}},
			"Sent “member changed” (Ada Lovelace is now USER): the partner answered 200 OK."},
	}
	for _, tt := range tests {
		s.SetMode(ModeUp)
		if got := flashOf(t, postForm(t, s, tt.path, tt.form)); !strings.HasPrefix(got, tt.want) {
			t.Errorf("POST %s %v:\n got %s\nwant %s", tt.path, tt.form, got, tt.want)
		}
	}
}

func TestExtraActionAnswerIsFoldedUnderASentence(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	id, _, _ := newInstallation(t, s)
	s.SetConsole(Console{Actions: []ConsoleAction{{Name: "billing", Label: "Run billing now",
		Run: func(ctx context.Context, _ string) (string, error) {
			return `our server answered 200 OK {"queued":{"billing":1}}`, nil
		}}}})
	page := postForm(t, s, "/console/"+id+"/actions/billing", nil)
	if got := flashOf(t, page); got != "Run billing now: our server answered 200 OK." {
		t.Errorf("flash %q", got)
	}
	if !strings.Contains(page, "<details><summary>The answer</summary><pre>{\n  &#34;queued&#34;: {") {
		t.Errorf("the answer is not folded under the flash:\n%.1500s", page)
	}
}

func TestFormatPeriod(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		start, end string
		want       string
	}{
		{"a calendar month", "2026-11-01T00:00:00.000Z", "2026-12-01T00:00:00.000Z", "1–30 Nov 2026"},
		{"across months", "2026-11-02T00:00:00.000Z", "2026-12-02T00:00:00.000Z", "2 Nov – 1 Dec 2026"},
		{"across years", "2026-12-15T00:00:00Z", "2027-01-15T00:00:00Z", "15 Dec 2026 – 14 Jan 2027"},
		{"one day", "2026-11-05T00:00:00Z", "2026-11-06T00:00:00Z", "5 Nov 2026"},
		{"an inclusive end", "2026-11-01T00:00:00Z", "2026-11-30T23:59:59.999Z", "1–30 Nov 2026"},
		{"an offset", "2026-11-01T01:00:00+01:00", "2026-12-01T01:00:00+01:00", "1–30 Nov 2026"},
		{"unreadable", "yesterday", "2026-12-01T00:00:00Z", "yesterday – 2026-12-01T00:00:00Z"},
	}
	for _, tt := range tests {
		if got := formatPeriod(Period{tt.start, tt.end}); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestConsoleInstallsAgainAfterUninstall: once uninstalled, the page
// offers "Install again" (and the embedder's way to start over), which
// sends a fresh PUT with a new token; a finalized installation comes
// back without its old resources, one pending finalization with them.
func TestConsoleInstallsAgainAfterUninstall(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		finalized bool
		want      string
		resources int
	}{
		{true, "The old installation was finalized, so this one starts with no resources.", 0},
		{false, "It was not finalized yet, so its resources are kept.", 1},
	} {
		s := startSim(t, Options{})
		id, _, _ := newInstallation(t, s)
		s.SetResource(id, "db_1", Resource{ProductID: "postgres", Name: "main-db"})
		p := newReadPartner(t, map[string]partnerAnswer{
			"DELETE /v1/installations/" + id: {200, fmt.Sprintf(`{"finalized":%v}`, tt.finalized)},
			"PUT /v1/installations/" + id:    {200, `{}`},
		})
		s.SetConsole(Console{PartnerURL: p.URL, StartOver: "Or start from scratch with -reset."})
		if got := flashOf(t, postForm(t, s, "/console/"+id+"/install", nil)); got != "The integration is installed already." {
			t.Errorf("install while installed: %q", got)
		}
		before, _ := s.Installation(id)
		page := postForm(t, s, "/console/"+id+"/uninstall", nil)
		if f := flashOf(t, page); !strings.Contains(f, "Open in Provider now shows that it is") || !strings.Contains(f, "&#34;Install again&#34;") {
			t.Errorf("uninstall flash: %q", f)
		}
		if !strings.Contains(page, `<button id="install-again">Install again</button>`) || strings.Contains(page, `id="uninstall"`) ||
			!strings.Contains(page, "with a new token). Or start from scratch with -reset.</p>") {
			t.Errorf("uninstalled page:\n%.3000s", regexp.MustCompile(`(?s)<section id="installation">.*?</section>`).FindString(page))
		}
		page = postForm(t, s, "/console/"+id+"/install", nil)
		if f := flashOf(t, page); !strings.HasSuffix(f, tt.want) || !strings.HasPrefix(f, "Installed again: Vercel sent PUT /v1/installations/"+id) {
			t.Errorf("finalized %v: install again flash %q, want it to end %q", tt.finalized, f, tt.want)
		}
		after, _ := s.Installation(id)
		if after.AccessToken == "" || after.AccessToken == before.AccessToken || after.PendingDeletion || after.Finalized {
			t.Errorf("finalized %v: after install again %+v", tt.finalized, after)
		}
		if n := len(s.Resources(id)); n != tt.resources {
			t.Errorf("finalized %v: %d resources, want %d", tt.finalized, n, tt.resources)
		}
		if !strings.Contains(page, `id="uninstall"`) {
			t.Errorf("finalized %v: no uninstall button once installed again", tt.finalized)
		}
	}
}
