package partnerapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/vercel-partner/partner-server/internal/provisioning"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// replHook is the partner's service answering REPL inputs (and
// provisioning, so a resource exists). answer says how it answers.
type replHook struct {
	*httptest.Server
	mu       sync.Mutex
	answer   string // "good", "fail", "bad", "redirect"
	got      []provisioning.REPLRequest
	followed bool // the redirect's target was reached
}

// leaked is in every bad answer: it must never reach Vercel.
const leaked = "LEAKED-FROM-A-BAD-ANSWER"

func newREPLHook(t *testing.T) *replHook {
	h := &replHook{answer: "good"}
	h.Server = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.Close)
	return h
}

func (h *replHook) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/elsewhere" {
		h.mu.Lock()
		h.followed = true
		h.mu.Unlock()
		return
	}
	body, _ := io.ReadAll(r.Body)
	if provisioning.Verify(hookSecret, r.Header, body) != nil {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var req provisioning.REPLRequest
	json.Unmarshal(body, &req)
	if req.Type != provisioning.TypeREPL {
		json.NewEncoder(w).Encode(map[string]any{"status": "ready", "secrets": []map[string]string{{"name": "REDIS_URL", "value": "x"}}})
		return
	}
	h.mu.Lock()
	h.got = append(h.got, req)
	answer := h.answer
	h.mu.Unlock()
	switch answer {
	case "fail":
		http.Error(w, leaked, http.StatusInternalServerError)
	case "bad":
		w.Write([]byte(`[{"type":"paragraph","children":[{"type":"text","text":"` + leaked + `","href":"javascript:alert(1)"}]}]`))
	case "redirect":
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	default:
		json.NewEncoder(w).Encode([]map[string]any{
			{"type": "paragraph", "children": []map[string]any{{"type": "text", "text": "ran " + req.Input, "bold": true}}},
			{"type": "table", "header": []map[string]any{{"type": "text", "text": "n"}}, "rows": [][]map[string]any{{{"type": "text", "text": "1"}}}},
		})
	}
}

func (h *replHook) set(answer string) {
	h.mu.Lock()
	h.answer = answer
	h.mu.Unlock()
}

func (h *replHook) last() (provisioning.REPLRequest, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.got) == 0 {
		return provisioning.REPLRequest{}, 0
	}
	return h.got[len(h.got)-1], len(h.got)
}

// The REPL in hook mode: the hook gets the input with readOnly forced on
// for a USER, its blocks come back as sent; a failing, redirecting or
// misbehaving hook is one red paragraph and nothing of its answer.
func TestREPLInHookMode(t *testing.T) {
	t.Parallel()
	h := newREPLHook(t)
	e := newLifeEnv(t, hookConfig(h.URL))
	rid := e.provision(t, "db", "redis-pro")
	repl := func(input string, readOnly bool, opts ...vercelsim.CallOption) (vercelsim.PartnerResponse, []vercelsim.REPLBlock) {
		t.Helper()
		resp, blocks, err := e.sim.REPL(t.Context(), e.URL, testInstallation, rid, input, readOnly, opts...)
		if err != nil {
			t.Fatal(err)
		}
		return resp, blocks
	}
	for _, tc := range []struct {
		name             string
		readOnly, wantRO bool
		opts             []vercelsim.CallOption
	}{
		{"admin", false, false, nil},
		{"admin asking read-only", true, true, nil},
		{"user", false, true, []vercelsim.CallOption{vercelsim.AsUser("user_2", "USER")}},
		{"system", false, false, []vercelsim.CallOption{vercelsim.AsSystem()}},
	} {
		resp, blocks := repl("select 1", tc.readOnly, tc.opts...)
		got, _ := h.last()
		if resp.Status != http.StatusOK || len(blocks) != 2 || blocks[0].Children[0].Text != "ran select 1" || !blocks[0].Children[0].Bold ||
			blocks[1].Type != "table" || blocks[1].Rows[0][0].Text != "1" {
			t.Errorf("%s: %d %s", tc.name, resp.Status, resp.Body)
		}
		if got.InstallationID != testInstallation || got.ResourceID != rid || got.Input != "select 1" || got.ReadOnly != tc.wantRO {
			t.Errorf("%s: the hook got %+v, want readOnly %v", tc.name, got, tc.wantRO)
		}
	}
	for _, answer := range []string{"fail", "bad", "redirect"} {
		h.set(answer)
		resp, blocks := repl("tables", false)
		if resp.Status != http.StatusOK || len(blocks) != 1 || blocks[0].Type != "paragraph" || len(blocks[0].Children) != 1 ||
			blocks[0].Children[0].Color != "red" || strings.Contains(string(resp.Body), leaked) {
			t.Errorf("hook %s: %d %s", answer, resp.Status, resp.Body)
		}
	}
	if h.followed {
		t.Error("the hook's redirect was followed")
	}
	h.set("good")
	_, before := h.last()
	for _, bad := range []struct {
		name string
		body any
		code int
	}{
		{"input over 16 KB", map[string]any{"input": strings.Repeat("x", 16<<10+1)}, http.StatusBadRequest},
		{"no input", map[string]any{"readOnly": true}, http.StatusBadRequest},
		{"input not a string", map[string]any{"input": 1}, http.StatusBadRequest},
	} {
		resp, _ := e.sim.CallPartner(t.Context(), http.MethodPost, e.URL+"/v1/installations/"+testInstallation+"/resources/"+rid+"/repl",
			testInstallation, bad.body)
		if _, fields := errorOf(resp); resp.Status != bad.code || len(fields) != 1 || fields[0] != "input" {
			t.Errorf("%s: %d %s", bad.name, resp.Status, resp.Body)
		}
	}
	if resp, _ := repl("x", false, vercelsim.WithBearer(e.sim.IDToken(testInstallation, "user_1", "ADMIN", nil))); resp.Status != http.StatusForbidden {
		t.Errorf("id_token: %d", resp.Status)
	}
	resp, _, _ := e.sim.REPL(t.Context(), e.URL, testInstallation, "res_unknown", "help", false)
	if resp.Status != http.StatusNotFound {
		t.Errorf("unknown resource: %d %s", resp.Status, resp.Body)
	}
	if _, after := h.last(); after != before {
		t.Errorf("refused requests reached the hook (%d calls, want %d)", after, before)
	}
}

// Without a hook the REPL answers one paragraph saying it is not available.
func TestREPLInFeedMode(t *testing.T) {
	t.Parallel()
	e := newLifeEnv(t, nil)
	rid := e.provision(t, "db", "redis-pro")
	resp, blocks, err := e.sim.REPL(t.Context(), e.URL, testInstallation, rid, "help", false)
	if err != nil || resp.Status != http.StatusOK || len(blocks) != 1 || blocks[0].Type != "paragraph" ||
		!strings.Contains(blocks[0].Children[0].Text, "not available") {
		t.Fatalf("%v %d %s", err, resp.Status, resp.Body)
	}
}
