package vercelsim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// webhookSink keeps each delivery and answers 401 to a bad signature.
type webhookSink struct {
	secret string
	mu     sync.Mutex
	bodies [][]byte
	sigs   []string
}

func (k *webhookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	sig := r.Header.Get("x-vercel-signature")
	k.mu.Lock()
	k.bodies, k.sigs = append(k.bodies, raw), append(k.sigs, sig)
	k.mu.Unlock()
	if sig != signWith([]byte(k.secret), raw) {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (k *webhookSink) last() ([]byte, string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.bodies[len(k.bodies)-1], k.sigs[len(k.sigs)-1]
}

func startSink(t *testing.T, s *Sim) (*webhookSink, string) {
	t.Helper()
	k := &webhookSink{secret: s.ClientSecret()}
	srv := httptest.NewServer(k)
	t.Cleanup(srv.Close)
	return k, srv.URL + "/webhooks/vercel"
}

func TestWebhookEventShapes(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 2, 9, 14, 0, 0, time.UTC)
	s := startSim(t, Options{Now: func() time.Time { return now }})
	const inst = "icfg_9bceb8ccT32d3U417ezb5c8p"
	s.SetMember(inst, "m1", "USER", "bob@acme.dev")
	oct := Period{Start: "2026-10-01T00:00:00.000Z", End: "2026-11-01T00:00:00.000Z"}
	base := `"configuration":{"id":"` + inst + `"},"installationId":"` + inst + `"`
	tests := []struct {
		name    string
		ev      WebhookEvent
		typ     string
		payload string
	}{
		{"removed", s.RemovedEvent(inst), EventConfigurationRemoved,
			`{"team":{"id":"team_` + AccountHex(inst) + `"},"user":{"id":"` + DefaultAdminUserID + `"},"configuration":{"id":"` + inst + `","projectSelection":"all","projects":[]}}`},
		{"invoice created", s.InvoiceEvent("created", inst, "inv_1", "ext-1", "12.50", oct), EventInvoiceCreated,
			`{` + base + `,"invoiceId":"inv_1","externalInvoiceId":"ext-1","period":{"start":"2026-10-01T00:00:00.000Z","end":"2026-11-01T00:00:00.000Z"},"invoiceDate":"2026-11-02T09:14:00.000Z","invoiceTotal":"12.50"}`},
		{"invoice paid, full type, no external id", s.InvoiceEvent(EventInvoicePaid, inst, "inv_1", "", "12.50", oct), EventInvoicePaid,
			`{` + base + `,"invoiceId":"inv_1","externalInvoiceId":null,"period":{"start":"2026-10-01T00:00:00.000Z","end":"2026-11-01T00:00:00.000Z"},"invoiceDate":"2026-11-02T09:14:00.000Z","invoiceTotal":"12.50"}`},
		{"invoice notpaid", s.InvoiceEvent("notpaid", inst, "inv_1", "e", "1.00", oct), EventInvoiceNotPaid, ""},
		{"invoice overdue", s.InvoiceEvent("overdue", inst, "inv_1", "e", "1.00", oct), EventInvoiceOverdue, ""},
		{"invoice refunded", s.InvoiceEvent("refunded", inst, "inv_1", "ext-1", "5.00", oct), EventInvoiceRefunded,
			`{` + base + `,"invoiceId":"inv_1","externalInvoiceId":"ext-1","period":{"start":"2026-10-01T00:00:00.000Z","end":"2026-11-01T00:00:00.000Z"},"amount":"5.00","reason":""}`},
		{"member changed, known member", s.MemberChangedEvent(inst, "m1", "ADMIN"), EventMemberChanged,
			`{` + base + `,"memberId":"m1","role":"ADMIN","globalUserId":"` + hexID("global:m1") + `","userEmail":"bob@acme.dev"}`},
		{"member removed, unknown member", s.MemberChangedEvent(inst, "m9", "NONE"), EventMemberChanged,
			`{` + base + `,"memberId":"m9","role":"NONE"}`},
		{"project connected", s.ProjectConnectedEvent(inst, "db_1", Project{ID: "prj_1", Name: "web"}, []string{"production", "preview"}), EventProjectConnected,
			`{` + base + `,"resourceId":"db_1","project":{"id":"prj_1","name":"web"},"projectId":"prj_1","targets":["production","preview"]}`},
		{"project disconnected", s.ProjectDisconnectedEvent(inst, "db_1", "prj_1", nil), EventProjectDisconnected,
			`{` + base + `,"resourceId":"db_1","project":{"id":"prj_1"},"projectId":"prj_1","targets":[]}`},
		{"custom", s.CustomEvent("deployment.created", map[string]any{"deployment": map[string]any{"id": "dpl_1"}}), "deployment.created",
			`{"deployment":{"id":"dpl_1"}}`},
		{"custom without payload", s.CustomEvent("x.y", nil), "x.y", `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, _ := json.Marshal(tt.ev)
			var env map[string]json.RawMessage
			if err := json.Unmarshal(raw, &env); err != nil || len(env) != 5 {
				t.Fatalf("envelope %s", raw)
			}
			if string(env["type"]) != `"`+tt.typ+`"` || string(env["createdAt"]) != "1793610840000" || string(env["region"]) != `"iad1"` || !strings.HasPrefix(string(env["id"]), `"evt_`) {
				t.Errorf("envelope %s", raw)
			}
			if tt.payload != "" {
				assertJSONEqual(t, env["payload"], tt.payload)
			}
		})
	}
}

func assertJSONEqual(t *testing.T, got json.RawMessage, want string) {
	t.Helper()
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &b); err != nil {
		t.Fatalf("bad want %s: %v", want, err)
	}
	ab, _ := json.Marshal(a)
	bb, _ := json.Marshal(b)
	if string(ab) != string(bb) {
		t.Errorf("payload\n got %s\nwant %s", ab, bb)
	}
}

func TestInvoiceEventFillsFromSimInvoice(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	id, token, invID := newInstallation(t, s)
	call(t, s, "POST", "/v1/installations/"+id+"/billing/invoices/"+invID+"/actions", token, map[string]any{"action": "refund", "reason": "outage", "total": "2.00"})
	created := s.InvoiceEvent("created", id, invID, "", "", Period{}).Payload
	if created["externalInvoiceId"] != "inv_2026_10_0042" || created["invoiceTotal"] != "12.50" || created["invoiceDate"] != "2026-10-31T12:00:00.000Z" ||
		created["period"].(map[string]any)["start"] != "2026-10-01T00:00:00.000Z" {
		t.Errorf("created %v", created)
	}
	if refunded := s.InvoiceEvent("refunded", id, invID, "", "", Period{}).Payload; refunded["amount"] != "2.00" || refunded["reason"] != "outage" {
		t.Errorf("refunded %v", refunded)
	}
	defer func() {
		if recover() == nil {
			t.Error("unknown kind did not panic")
		}
	}()
	s.InvoiceEvent("issued", id, invID, "", "", Period{})
}

func TestDeliverWebhook(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{ClientSecret: "shh"})
	sink, url := startSink(t, s)
	id, token, invID := newInstallation(t, s)
	getState := func() string {
		r := call(t, s, "GET", "/v1/installations/"+id+"/billing/invoices/"+invID, token, nil)
		return parse(t, string(r.body))["state"].(string)
	}
	tests := []struct {
		name      string
		ev        WebhookEvent
		opts      []WebhookOption
		status    int
		state     string // the sim invoice's state afterwards
		checkBody func(t *testing.T, body []byte, sig string)
	}{
		{name: "bad signature changes nothing", ev: s.InvoiceEvent("paid", id, invID, "", "", Period{}), opts: []WebhookOption{WithBadSignature()},
			status: 401, state: "pending", checkBody: func(t *testing.T, body []byte, sig string) {
				if len(sig) != 40 || strings.Trim(sig, "0123456789abcdef") != "" {
					t.Errorf("bad signature %q is not lowercase hex SHA-1 sized", sig)
				}
			}},
		{name: "no signature", ev: s.InvoiceEvent("paid", id, invID, "", "", Period{}), opts: []WebhookOption{WithoutSignature()},
			status: 401, state: "pending", checkBody: func(t *testing.T, body []byte, sig string) {
				if sig != "" {
					t.Errorf("signature sent: %q", sig)
				}
			}},
		{name: "notpaid moves the invoice", ev: s.InvoiceEvent("notpaid", id, invID, "", "", Period{}), status: 200, state: "notpaid"},
		{name: "paid with a chosen id", ev: s.InvoiceEvent("paid", id, invID, "", "", Period{}), opts: []WebhookOption{WithEventID("evt_fixed")},
			status: 200, state: "paid", checkBody: func(t *testing.T, body []byte, sig string) {
				if sig != s.WebhookSignature(body) || !strings.Contains(string(body), `"id":"evt_fixed"`) {
					t.Errorf("body %s sig %s", body, sig)
				}
			}},
		{name: "refunded", ev: s.InvoiceEvent("refunded", id, invID, "", "3.00", Period{}), status: 200, state: "refunded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, err := s.DeliverWebhook(t.Context(), url, tt.ev, tt.opts...)
			if err != nil || status != tt.status {
				t.Fatalf("status %d %v, want %d", status, err, tt.status)
			}
			if got := getState(); got != tt.state {
				t.Errorf("invoice state %s, want %s", got, tt.state)
			}
			if tt.checkBody != nil {
				body, sig := sink.last()
				tt.checkBody(t, body, sig)
			}
		})
	}
	if inv, _ := s.Invoice(id, invID); inv.RefundTotal != "3.00" || inv.RefundedAt == "" || inv.PaidAt == "" {
		t.Errorf("invoice after webhooks %+v", inv)
	}
	if _, err := s.DeliverWebhook(t.Context(), "http://127.0.0.1:1/nowhere", s.RemovedEvent(id)); err == nil {
		t.Error("no error for an unreachable partner")
	}
}

func TestMemberWebhookSyncsMembers(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	_, url := startSink(t, s)
	id, token, _ := newInstallation(t, s)
	s.SetMember(id, "m1", "USER", "bob@acme.dev")
	member := func() result { return call(t, s, "GET", "/v1/installations/"+id+"/member/m1", token, nil) }
	if st, err := s.DeliverWebhook(t.Context(), url, s.MemberChangedEvent(id, "m1", "ADMIN")); err != nil || st != 200 {
		t.Fatal(st, err)
	}
	if r := member(); !strings.Contains(string(r.body), `"role":"ADMIN"`) || !strings.Contains(string(r.body), "bob@acme.dev") {
		t.Errorf("after ADMIN: %s", r.body)
	}
	if _, err := s.DeliverWebhook(t.Context(), url, s.MemberChangedEvent(id, "m1", "NONE")); err != nil {
		t.Fatal(err)
	}
	if r := member(); r.status != 404 {
		t.Errorf("after NONE: %d %s", r.status, r.body)
	}
}
