package vercelsim

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// fakePartner records what the simulator sends and checks its tokens.
type fakePartner struct {
	t    *testing.T
	sim  *Sim
	mu   sync.Mutex
	reqs []*http.Request
	body []map[string]any
}

func (p *fakePartner) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	p.mu.Lock()
	p.reqs = append(p.reqs, r)
	p.body = append(p.body, m)
	p.mu.Unlock()
	switch {
	case r.URL.Path == "/webhooks":
		mac := hmac.New(sha1.New, []byte(p.sim.ClientSecret()))
		mac.Write(raw)
		if r.Header.Get("x-vercel-signature") != hex.EncodeToString(mac.Sum(nil)) {
			w.WriteHeader(401)
			return
		}
		w.WriteHeader(200)
	case r.Method == "DELETE":
		_, _ = w.Write([]byte(`{"finalized": true}`))
	case r.Method == "POST":
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id": "db_9", "productId": "postgres", "name": "main", "metadata": {}, "status": "ready", "secrets": [{"name": "URL", "value": "pg://"}]}`))
	default:
		w.WriteHeader(204)
	}
}

func TestActingAsVercel(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	p := &fakePartner{t: t, sim: s}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	ctx := t.Context()
	const id = "icfg_9bceb8ccT32d3U417ezb5c8p"

	token, err := s.Install(ctx, srv.URL, id)
	if err != nil {
		t.Fatal(err)
	}
	put := p.reqs[0]
	if put.Method != "PUT" || put.URL.Path != "/v1/installations/"+id || put.Header.Get("X-Vercel-Auth") != "user" || put.Header.Get("Idempotency-Key") == "" {
		t.Errorf("install request %s %s %v", put.Method, put.URL.Path, put.Header)
	}
	creds := p.body[0]["credentials"].(map[string]any)
	if creds["access_token"] != token || creds["token_type"] != "Bearer" {
		t.Errorf("credentials %v", creds)
	}
	bearer := put.Header.Get("Authorization")[len("Bearer "):]
	idt, err := verifier(t, s).Verify(ctx, bearer)
	var claims map[string]any
	if err == nil {
		err = idt.Claims(&claims)
	}
	if err != nil || claims["user_role"] != "ADMIN" || claims["installation_id"] != id {
		t.Errorf("install bearer: %v %v", err, claims)
	}
	if r := call(t, s, "GET", "/v1/installations/"+id+"/account", token, nil); r.status != 200 {
		t.Errorf("account with the installed token: %d", r.status)
	}
	if r := call(t, s, "GET", "/v1/installations/"+id+"/member/"+DefaultAdminUserID, token, nil); r.status != 200 {
		t.Errorf("admin member: %d %s", r.status, r.body)
	}

	if err := s.UpdateInstallationPlan(ctx, srv.URL, id, "pro200"); err != nil || p.body[1]["billingPlanId"] != "pro200" {
		t.Errorf("plan change: %v %v", err, p.body[1])
	}
	res, err := s.ProvisionResource(ctx, srv.URL, id, map[string]any{"productId": "postgres", "name": "main", "metadata": map[string]any{}, "billingPlanId": "pro200"})
	if err != nil || res["id"] != "db_9" || len(s.Secrets(id, "db_9")) != 1 {
		t.Errorf("provision: %v %v %v", err, res, s.Secrets(id, "db_9"))
	}
	finalized, err := s.Uninstall(ctx, srv.URL, id)
	if err != nil || !finalized {
		t.Errorf("uninstall: %v %v", finalized, err)
	}
	if st, _ := s.Installation(id); !st.Finalized || !st.PendingDeletion {
		t.Errorf("state after uninstall: %+v", st)
	}
}

func TestInstallFailureRestoresToken(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(403) }))
	t.Cleanup(srv.Close)
	s.RegisterInstallation("icfg_x", "old")
	if _, err := s.Install(t.Context(), srv.URL, "icfg_x"); err == nil {
		t.Fatal("Install succeeded against a 403")
	}
	if st, _ := s.Installation("icfg_x"); st.AccessToken != "old" {
		t.Errorf("token after failed install = %q, want old", st.AccessToken)
	}
}

func TestWebhookSignature(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{ClientSecret: "shh"})
	p := &fakePartner{t: t, sim: s}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)

	body := []byte(`{"id":"evt_1"}`)
	mac := hmac.New(sha1.New, []byte("shh"))
	mac.Write(body)
	if got, want := s.WebhookSignature(body), hex.EncodeToString(mac.Sum(nil)); got != want {
		t.Errorf("WebhookSignature = %s, want %s", got, want)
	}

	id, token, invID := newInstallation(t, s)
	_ = token
	ev, err := s.InvoiceWebhook(id, invID, "marketplace.invoice.created")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := s.SendWebhook(t.Context(), srv.URL+"/webhooks", ev)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("partner rejected the signature: %d", resp.StatusCode)
	}
	payload := p.body[0]["payload"].(map[string]any)
	if payload["invoiceId"] != invID || payload["invoiceTotal"] != "12.50" || payload["installationId"] != id {
		t.Errorf("payload %v", payload)
	}
}
