package vercelsim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// scriptedPartner answers each "METHOD /path" with a canned reply and keeps
// what it received.
type scriptedPartner struct {
	mu      sync.Mutex
	replies map[string]reply
	got     []gotRequest
}

type reply struct {
	status int
	body   string
}

type gotRequest struct {
	method, path, query string
	header              http.Header
	body                string
}

func (p *scriptedPartner) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	p.got = append(p.got, gotRequest{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), string(raw)})
	rep, ok := p.replies[r.Method+" "+r.URL.Path]
	p.mu.Unlock()
	if !ok {
		rep = reply{404, `{"error":{"code":"not_found","message":"no"}}`}
	}
	if rep.body != "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(rep.status)
	_, _ = io.WriteString(w, rep.body)
}

func (p *scriptedPartner) last(t *testing.T) gotRequest {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.got) == 0 {
		t.Fatal("partner received nothing")
	}
	return p.got[len(p.got)-1]
}

func startPartner(t *testing.T, replies map[string]reply) (*scriptedPartner, string) {
	t.Helper()
	p := &scriptedPartner{replies: replies}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return p, srv.URL
}

// claimsOf verifies the bearer of h against the simulator's keys.
func claimsOf(t *testing.T, s *Sim, h http.Header) map[string]any {
	t.Helper()
	bearer, ok := strings.CutPrefix(h.Get("Authorization"), "Bearer ")
	if !ok {
		t.Fatalf("no bearer in %v", h)
	}
	tok, err := verifier(t, s).Verify(t.Context(), bearer)
	var c map[string]any
	if err == nil {
		err = tok.Claims(&c)
	}
	if err != nil {
		t.Fatalf("bearer does not verify: %v", err)
	}
	return c
}

func TestPartnerCalls(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	const inst = "icfg_calls000000000000000001"
	plans := `{"plans":[{"id":"pro200","type":"subscription","name":"Pro","description":"d"}]}`
	resource := `{"id":"db_1","productId":"postgres","name":"renamed","metadata":{"region":"iad1"},"status":"ready","billingPlan":{"id":"pro300"}}`
	p, base := startPartner(t, map[string]reply{
		"GET /v1/products/postgres/plans":                                   {200, plans},
		"GET /v1/installations/" + inst + "/plans":                          {200, plans},
		"GET /v1/installations/" + inst + "/resources/db_1/plans":           {200, plans},
		"GET /v1/installations/" + inst + "/resources/db_1":                 {200, resource},
		"PATCH /v1/installations/" + inst + "/resources/db_1":               {200, resource},
		"DELETE /v1/installations/" + inst + "/resources/db_1":              {204, ""},
		"POST /v1/installations/" + inst + "/resources/db_1/secrets/rotate": {200, `{"sync":false}`},
		"POST /v1/installations/" + inst + "/billing/provision":             {409, `{"error":{"code":"conflict","message":"not paid"}}`},
	})
	ctx := t.Context()
	tests := []struct {
		name      string
		call      func() (PartnerResponse, error)
		method    string
		path      string
		query     string
		body      string // "" = none expected
		auth      string // X-Vercel-Auth
		role      string // user_role claim; "" = a system token
		noInst    bool   // installation_id null, no account_id, no sub
		key       string // "*" = any non-empty, "" = none, else exactly
		status    int
		jsonCheck string // a key the decoded answer must have
	}{
		{name: "product plans before installation", call: func() (PartnerResponse, error) {
			return s.ListProductPlans(ctx, base, "", "postgres", `{"region":"iad1"}`)
		}, method: "GET", path: "/v1/products/postgres/plans", query: "metadata=%7B%22region%22%3A%22iad1%22%7D",
			auth: "system", noInst: true, status: 200, jsonCheck: "plans"},
		{name: "product plans with a bad metadata sent as is", call: func() (PartnerResponse, error) {
			return s.ListProductPlans(ctx, base, inst, "postgres", `not json`)
		}, method: "GET", path: "/v1/products/postgres/plans", query: "metadata=not+json",
			auth: "user", role: "ADMIN", status: 200, jsonCheck: "plans"},
		{name: "installation plans as system", call: func() (PartnerResponse, error) {
			return s.ListInstallationPlans(ctx, base, inst, AsSystem())
		}, method: "GET", path: "/v1/installations/" + inst + "/plans", auth: "system", status: 200, jsonCheck: "plans"},
		{name: "resource plans as a USER", call: func() (PartnerResponse, error) {
			return s.ListResourcePlans(ctx, base, inst, "db_1", "", AsUser("u2", "USER"))
		}, method: "GET", path: "/v1/installations/" + inst + "/resources/db_1/plans", auth: "user", role: "USER", status: 200, jsonCheck: "plans"},
		{name: "get resource", call: func() (PartnerResponse, error) {
			return s.GetResource(ctx, base, inst, "db_1")
		}, method: "GET", path: "/v1/installations/" + inst + "/resources/db_1", auth: "user", role: "ADMIN", status: 200, jsonCheck: "id"},
		{name: "patch resource with a chosen key", call: func() (PartnerResponse, error) {
			return s.UpdateResource(ctx, base, inst, "db_1", map[string]any{"name": "renamed"}, WithIdempotencyKey("k-1"))
		}, method: "PATCH", path: "/v1/installations/" + inst + "/resources/db_1", body: `{"name":"renamed"}`,
			auth: "user", role: "ADMIN", key: "k-1", status: 200, jsonCheck: "metadata"},
		{name: "rotate with fractional hours", call: func() (PartnerResponse, error) {
			return s.RotateSecrets(ctx, base, inst, "db_1", []byte(`{"reason":"leak","delayOldSecretsExpirationHours":1.5}`))
		}, method: "POST", path: "/v1/installations/" + inst + "/resources/db_1/secrets/rotate",
			body: `{"reason":"leak","delayOldSecretsExpirationHours":1.5}`, auth: "user", role: "ADMIN", key: "*", status: 200, jsonCheck: "sync"},
		{name: "provision purchase refused", call: func() (PartnerResponse, error) {
			return s.ProvisionPurchase(ctx, base, inst, "inv_1")
		}, method: "POST", path: "/v1/installations/" + inst + "/billing/provision", body: `{"invoiceId":"inv_1"}`,
			auth: "user", role: "ADMIN", key: "*", status: 409, jsonCheck: "error"},
		{name: "delete resource", call: func() (PartnerResponse, error) {
			return s.DeleteResource(ctx, base, inst, "db_1")
		}, method: "DELETE", path: "/v1/installations/" + inst + "/resources/db_1", auth: "user", role: "ADMIN", key: "*", status: 204},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := tt.call()
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != tt.status {
				t.Errorf("status %d, want %d", resp.Status, tt.status)
			}
			if tt.jsonCheck != "" && resp.JSON[tt.jsonCheck] == nil {
				t.Errorf("answer %s lacks %q", resp.Body, tt.jsonCheck)
			}
			if tt.jsonCheck == "" && (len(resp.Body) != 0 || resp.JSON != nil) {
				t.Errorf("empty answer decoded as %s / %v", resp.Body, resp.JSON)
			}
			got := p.last(t)
			if got.method != tt.method || got.path != tt.path || got.query != tt.query || got.body != tt.body {
				t.Errorf("sent %s %s ?%s %q", got.method, got.path, got.query, got.body)
			}
			if got.header.Get("X-Vercel-Auth") != tt.auth {
				t.Errorf("X-Vercel-Auth %q, want %q", got.header.Get("X-Vercel-Auth"), tt.auth)
			}
			if tt.body != "" && got.header.Get("Content-Type") != "application/json" {
				t.Errorf("Content-Type %q", got.header.Get("Content-Type"))
			}
			key := got.header.Get("Idempotency-Key")
			if (tt.key == "*" && key == "") || (tt.key != "*" && key != tt.key) {
				t.Errorf("Idempotency-Key %q, want %q", key, tt.key)
			}
			c := claimsOf(t, s, got.header)
			if role, _ := c["user_role"].(string); role != tt.role {
				t.Errorf("user_role %q, want %q", role, tt.role)
			}
			_, hasAccount := c["account_id"]
			if tt.noInst != (c["installation_id"] == nil) || tt.noInst == hasAccount || tt.noInst == (c["sub"] != nil) {
				t.Errorf("claims %v (want no installation: %v)", c, tt.noInst)
			}
		})
	}
}

func TestWithBearer(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	p, base := startPartner(t, map[string]reply{"GET /v1/installations/icfg_a/plans": {403, `{"error":{"code":"forbidden","message":"no"}}`}})
	for _, token := range []string{"not-a-jwt", ""} {
		resp, err := s.ListInstallationPlans(t.Context(), base, "icfg_a", WithBearer(token))
		if err != nil || resp.Status != 403 {
			t.Fatalf("%v %+v", err, resp)
		}
		want := ""
		if token != "" {
			want = "Bearer " + token
		}
		if got := p.last(t).header.Get("Authorization"); got != want {
			t.Errorf("Authorization %q, want %q", got, want)
		}
	}
}

// TestVercelCopyFollowsPartnerAnswers checks that provision, rotation,
// update and delete answers change the resource and env vars Vercel holds.
func TestVercelCopyFollowsPartnerAnswers(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	const inst = "icfg_copy0000000000000000001"
	path := "/v1/installations/" + inst + "/resources"
	p, base := startPartner(t, map[string]reply{})
	set := func(k string, r reply) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.replies[k] = r
	}
	ctx := t.Context()
	names := func() string {
		var n []string
		for _, sec := range s.Secrets(inst, "db_7") {
			n = append(n, sec.Name+"="+sec.Value)
		}
		return strings.Join(n, ",")
	}

	set("POST "+path, reply{200, `{"id":"db_7","productId":"postgres","name":"main","metadata":{},"status":"ready",
		"billingPlan":{"id":"pro200"},"secrets":[{"name":"A","value":"1"},{"name":"B","value":"2"}]}`})
	resp, err := s.Provision(ctx, base, inst, map[string]any{"productId": "postgres", "name": "main", "metadata": map[string]any{}, "billingPlanId": "pro200"})
	if err != nil || resp.Status != 200 || names() != "A=1,B=2" {
		t.Fatalf("provision: %v %d, secrets %s", err, resp.Status, names())
	}
	if r, _ := s.Resource(inst, "db_7"); r.BillingPlanID != "pro200" || r.Name != "main" {
		t.Errorf("resource %+v", r)
	}
	steps := []struct {
		answer string
		want   string
	}{
		{`{"sync":true,"secrets":[{"name":"B","value":"3"}],"partial":true}`, "A=1,B=3"},
		{`{"sync":true,"secrets":[{"name":"C","value":"4"}]}`, "C=4"},
		{`{"sync":false}`, "C=4"},
	}
	for _, st := range steps {
		set("POST "+path+"/db_7/secrets/rotate", reply{200, st.answer})
		if _, err := s.RotateSecrets(ctx, base, inst, "db_7", map[string]any{"reason": "r"}); err != nil {
			t.Fatal(err)
		}
		if got := names(); got != st.want {
			t.Errorf("after %s: %s, want %s", st.answer, got, st.want)
		}
	}
	// The partner completes an async rotation through updateResourceSecrets.
	token := "tok-" + inst
	s.RegisterInstallation(inst, token)
	if r := call(t, s, "PUT", path+"/db_7/secrets", token, parse(t, `{"secrets":[{"name":"D","value":"5"}],"partial":true}`)); r.status != 201 || names() != "C=4,D=5" {
		t.Errorf("updateResourceSecrets: %d, secrets %s", r.status, names())
	}

	set("PATCH "+path+"/db_7", reply{200, `{"id":"db_7","productId":"postgres","name":"renamed","metadata":{"a":"b"},"status":"ready","billingPlan":{"id":"pro300"}}`})
	if _, err := s.UpdateResource(ctx, base, inst, "db_7", map[string]any{"name": "renamed", "billingPlanId": "pro300"}); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.Resource(inst, "db_7"); r.Name != "renamed" || r.BillingPlanID != "pro300" || r.Metadata["a"] != "b" {
		t.Errorf("after update %+v", r)
	}
	set("DELETE "+path+"/db_7", reply{409, `{"error":{"code":"conflict","message":"busy"}}`})
	if _, err := s.DeleteResource(ctx, base, inst, "db_7"); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Resource(inst, "db_7"); !ok {
		t.Error("a refused delete removed Vercel's copy")
	}
	set("DELETE "+path+"/db_7", reply{204, ""})
	if _, err := s.DeleteResource(ctx, base, inst, "db_7"); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Resource(inst, "db_7"); ok {
		t.Error("Vercel's copy survived the delete")
	}
}

func TestProvisionResourceErrors(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	const inst = "icfg_perr"
	path := "POST /v1/installations/" + inst + "/resources"
	tests := []struct {
		name  string
		reply reply
		want  string
	}{
		{"partner refuses", reply{400, `{"error":{"code":"bad_request","message":"metadata.region"}}`}, "answered 400"},
		{"not JSON", reply{200, `<html>`}, "not a JSON object"},
		{"no id", reply{200, `{"name":"x"}`}, "no id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, base := startPartner(t, map[string]reply{path: tt.reply})
			_, err := s.ProvisionResource(t.Context(), base, inst, map[string]any{"productId": "p"})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v, want %q", err, tt.want)
			}
		})
	}
}

func TestCallPartnerRawBody(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	p, base := startPartner(t, map[string]reply{"POST /v1/installations/icfg_r/resources": {400, `{"error":{"code":"bad_request","message":"malformed"}}`}})
	resp, err := s.CallPartner(t.Context(), "POST", base+"/v1/installations/icfg_r/resources", "icfg_r", []byte(`{"productId":`))
	if err != nil || resp.Status != 400 {
		t.Fatalf("%v %+v", err, resp)
	}
	var e apiError
	if json.Unmarshal(resp.Body, &e) != nil || e.Error.Code != "bad_request" || p.last(t).body != `{"productId":` {
		t.Errorf("answer %s, sent %q", resp.Body, p.last(t).body)
	}
}
