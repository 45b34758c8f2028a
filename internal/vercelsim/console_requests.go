package vercelsim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// requestsPerPage is how many entries one page of /requests shows.
const requestsPerPage = 50

// logEntry is one line of /requests: a request the partner sent Vercel,
// or a read Vercel sent the partner (a re-read after createEvent).
type logEntry struct {
	Reread bool
	Method string
	Path   string
	Query  string
	Status int
	Time   time.Time
	Header http.Header
	Body   []byte
	Error  string // a re-read's failure
}

// requestFilter is what /requests is asked to show.
type requestFilter struct {
	Method string // "" = any
	Path   string // substring of the path and query; "" = any
	Status string // "", "2xx", "4xx", "5xx", "failed", "dropped" or a code
	Page   int    // from 1
}

var (
	filterMethods  = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}
	filterStatuses = []statusOption{
		{"", "any status"}, {"2xx", "2xx (accepted)"}, {"4xx", "4xx (refused)"}, {"5xx", "5xx (failed)"},
		{"failed", "failed or dropped"}, {"dropped", "dropped (Vercel down)"},
	}
)

// statusOption is one choice of the status filter.
type statusOption struct{ Value, Label string }

// parseRequestFilter reads the query, ignoring what it does not know.
func parseRequestFilter(q url.Values) requestFilter {
	f := requestFilter{Page: 1}
	if m := strings.ToUpper(q.Get("method")); slices.Contains(filterMethods, m) {
		f.Method = m
	}
	f.Path = strings.TrimSpace(q.Get("path"))
	if len(f.Path) > 200 {
		f.Path = f.Path[:200]
	}
	switch st := q.Get("status"); {
	case slices.ContainsFunc(filterStatuses, func(o statusOption) bool { return o.Value == st }):
		f.Status = st
	case len(st) == 3:
		if n, err := strconv.Atoi(st); err == nil && n >= 100 && n <= 599 {
			f.Status = st
		}
	}
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 1 {
		f.Page = min(n, 1_000_000)
	}
	return f
}

func (f requestFilter) match(e logEntry) bool {
	if f.Method != "" && e.Method != f.Method {
		return false
	}
	if f.Path != "" && !strings.Contains(strings.ToLower(e.Path+"?"+e.Query), strings.ToLower(f.Path)) {
		return false
	}
	switch f.Status {
	case "":
		return true
	case "2xx", "4xx", "5xx":
		return e.Status/100 == int(f.Status[0]-'0')
	case "failed":
		return e.Status == 0 || e.Status >= 400 || e.Error != ""
	case "dropped":
		return e.Status == 0 && !e.Reread
	}
	return strconv.Itoa(e.Status) == f.Status
}

// pageURL is /requests with the same filter on another page.
func (f requestFilter) pageURL(page int) string {
	q := url.Values{}
	if f.Method != "" {
		q.Set("method", f.Method)
	}
	if f.Path != "" {
		q.Set("path", f.Path)
	}
	if f.Status != "" {
		q.Set("status", f.Status)
	}
	if page > 1 {
		q.Set("page", strconv.Itoa(page))
	}
	if len(q) == 0 {
		return "/requests"
	}
	return "/requests?" + q.Encode()
}

// logEntries is every request received (except the browser's Open in
// Provider) and every re-read, newest first.
func (s *Sim) logEntries() []logEntry {
	var out []logEntry
	for _, r := range s.Requests() {
		if r.Route == RouteOpenInProvider {
			continue
		}
		out = append(out, logEntry{Method: r.Method, Path: r.Path, Query: r.Query, Status: r.Status, Time: r.Time, Header: r.Header, Body: redact(r)})
	}
	for _, rd := range s.Rereads() {
		out = append(out, logEntry{Reread: true, Method: rd.Method, Path: rd.Path, Status: rd.Status, Time: rd.Time, Error: rd.Error})
	}
	slices.Reverse(out) // among equal times, the later recorded first
	slices.SortStableFunc(out, func(a, b logEntry) int { return b.Time.Compare(a.Time) })
	return out
}

type requestsView struct {
	Header         headerView
	Filter         requestFilter
	Methods        []string
	Statuses       []statusOption
	Entries        []entryView
	Matched, Total int
	Page, Pages    int
	Newer, Older   string // links to the neighbouring pages; "" at either end
}

type entryView struct {
	logEntry
	Time, Delivery, Class string
	Body, Preview         string // the body indented, and on one line
}

// maxPreview bounds the one-line body shown before it is unfolded.
const maxPreview = 2000

// deliveryHeaders are request headers that name a delivery, when sent.
var deliveryHeaders = []string{"Idempotency-Key", "X-Delivery-Id", "X-Request-Id"}

// handleRequests lists what the simulator received and re-read, newest
// first, filtered and a page at a time.
func (s *Sim) handleRequests(w http.ResponseWriter, r *http.Request) {
	f := parseRequestFilter(r.URL.Query())
	all := s.logEntries()
	var matched []logEntry
	for _, e := range all {
		if f.match(e) {
			matched = append(matched, e)
		}
	}
	pages := max(1, (len(matched)+requestsPerPage-1)/requestsPerPage)
	f.Page = min(f.Page, pages)
	v := requestsView{Header: headerView{Links: s.consoleConfig().Links, Mode: s.modeName()}, Filter: f,
		Methods: filterMethods, Statuses: filterStatuses, Matched: len(matched), Total: len(all), Page: f.Page, Pages: pages}
	if !slices.ContainsFunc(v.Statuses, func(o statusOption) bool { return o.Value == f.Status }) {
		v.Statuses = append(slices.Clone(v.Statuses), statusOption{f.Status, "exactly " + f.Status})
	}
	from := (f.Page - 1) * requestsPerPage
	for _, e := range matched[from:min(len(matched), from+requestsPerPage)] {
		v.Entries = append(v.Entries, viewEntry(e))
	}
	if f.Page > 1 {
		v.Newer = f.pageURL(f.Page - 1)
	}
	if f.Page < pages {
		v.Older = f.pageURL(f.Page + 1)
	}
	s.render(w, "requests", v)
}

func viewEntry(e logEntry) entryView {
	v := entryView{logEntry: e, Time: formatTime(e.Time), Body: prettyBody(e.Body), Preview: oneLine(e.Body), Class: "ok"}
	if e.Status == 0 || e.Status >= 400 || e.Error != "" {
		v.Class = "failed"
	}
	for _, h := range deliveryHeaders {
		if val := e.Header.Get(h); val != "" {
			v.Delivery = h + ": " + val
			break
		}
	}
	return v
}

// oneLine is body as compact JSON, or as text with its line breaks
// turned into spaces, cut at maxPreview bytes.
func oneLine(body []byte) string {
	var buf bytes.Buffer
	if json.Compact(&buf, body) != nil {
		buf.Reset()
		buf.WriteString(strings.Join(strings.Fields(string(body)), " "))
	}
	if buf.Len() > maxPreview {
		return strings.ToValidUTF8(string(buf.Bytes()[:maxPreview]), "") + "…"
	}
	return buf.String()
}

// redact hides the client secret of an SSO exchange.
func redact(req Request) []byte {
	if req.Route != RouteSSOToken {
		return req.Body
	}
	if m, err := decodeObject(req.Body); err == nil {
		if _, ok := m["client_secret"]; ok {
			m["client_secret"] = "[redacted]"
		}
		b, _ := json.Marshal(m)
		return b
	}
	form, err := url.ParseQuery(string(req.Body))
	if err != nil {
		return []byte("[unreadable form]")
	}
	if form.Has("client_secret") {
		form.Set("client_secret", "[redacted]")
	}
	return []byte(form.Encode())
}
