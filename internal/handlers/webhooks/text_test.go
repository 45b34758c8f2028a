package webhooks_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vercel-partner/partner-server/internal/app/apptest"
)

// TestSignedTextNoDatabaseStoresIsReplacedAlike sends signed events whose
// text PostgreSQL cannot store (NUL, invalid UTF-8, lone surrogates). On
// both databases each is stored with that text replaced by U+FFFD and
// answered 200, its effect applied with the replaced text; a raw NUL byte
// is not JSON and is refused with 400. Never a 5xx.
func TestSignedTextNoDatabaseStoresIsReplacedAlike(t *testing.T) {
	const period = `"period":{"start":"2026-01-01T00:00:00Z","end":"2026-02-01T00:00:00Z"},"invoiceDate":"2026-02-01T00:00:00Z"`
	tests := []struct {
		name   string
		body   string
		want   int
		id     string // the stored event id
		stored string // a part of the stored body
		check  func(t *testing.T, e *env)
	}{
		{name: "NUL escaped in the event id", want: 200, id: "evt_nul\uFFFDid", stored: `"id":"evt_nul\ufffdid"`,
			body: `{"id":"evt_nul\u0000id","type":"deployment.created","payload":{}}`},
		{name: "NUL escaped in the type", want: 200, id: "evt_type", stored: `"type":"deployment\ufffdcreated"`,
			body: `{"id":"evt_type","type":"deployment\u0000created","payload":{}}`},
		{name: "NUL escaped in an object key", want: 200, id: "evt_key", stored: `{"a\ufffdb":1}`,
			body: `{"id":"evt_key","type":"deployment.created","payload":{"x":{"a\u0000b":1}}}`},
		{name: "invalid UTF-8 in a payload string", want: 200, id: "evt_utf8", stored: "\"name\":\"caf\uFFFD\"",
			body: "{\"id\":\"evt_utf8\",\"type\":\"deployment.created\",\"payload\":{\"name\":\"caf\xe9\"}}"},
		// A run of bad bytes becomes one U+FFFD.
		{name: "invalid UTF-8 in the installation id", want: 200, id: "evt_inst", stored: "\"installationId\":\"icfg_\uFFFD\"",
			body: "{\"id\":\"evt_inst\",\"type\":\"deployment.created\",\"payload\":{\"installationId\":\"icfg_\xff\xfe\"}}"},
		{name: "lone high surrogate", want: 200, id: "evt_high", stored: `"note":"a\ufffdb"`,
			body: `{"id":"evt_high","type":"deployment.created","payload":{"note":"a\ud800b"}}`},
		{name: "lone low surrogate", want: 200, id: "evt_low", stored: `"note":"\ufffd"`,
			body: `{"id":"evt_low","type":"deployment.created","payload":{"note":"\uDC00"}}`},
		{name: "high surrogate before a plain escape", want: 200, id: "evt_pair", stored: `"note":"\ufffd\u0041"`,
			body: `{"id":"evt_pair","type":"deployment.created","payload":{"note":"\ud800\u0041"}}`},
		{name: "a surrogate pair is kept", want: 200, id: "evt_emoji", stored: `"note":"\ud83d\ude00 \\u0000"`,
			body: `{"id":"evt_emoji","type":"deployment.created","payload":{"note":"\ud83d\ude00 \\u0000"}}`},
		{name: "NUL escaped in an invoice's external id", want: 200, id: "evt_invoice",
			body: `{"id":"evt_invoice","type":"marketplace.invoice.created","payload":{"installationId":"` + inst +
				`","invoiceId":"inv_text1","externalInvoiceId":"ext\u0000one","invoiceTotal":"20.00",` + period + `}}`,
			check: func(t *testing.T, e *env) {
				if inv := e.invoiceRecord(t, "inv_text1"); inv.ExternalID != "ext\uFFFDone" {
					t.Errorf("invoice external id %q, want the NUL replaced", inv.ExternalID)
				}
			}},
		{name: "invalid UTF-8 in a refund reason", want: 200, id: "evt_refund",
			body: "{\"id\":\"evt_refund\",\"type\":\"marketplace.invoice.refunded\",\"payload\":{\"installationId\":\"" + inst +
				"\",\"invoiceId\":\"inv_text2\",\"invoiceTotal\":\"20.00\",\"amount\":\"5.00\",\"reason\":\"out\xc0age\"," + period + "}}",
			check: func(t *testing.T, e *env) {
				if inv := e.invoiceRecord(t, "inv_text2"); inv.RefundReason != "out\uFFFDage" {
					t.Errorf("refund reason %q, want the bad byte replaced", inv.RefundReason)
				}
			}},
		{name: "NUL escaped in a member id", want: 200, id: "evt_member",
			body: `{"id":"evt_member","type":"marketplace.member.changed","payload":{"installationId":"` + inst +
				`","memberId":"` + admin + `\u0000","role":"NONE"}}`},
		{name: "NUL escaped in a project name", want: 200, id: "evt_project",
			body: `{"id":"evt_project","type":"integration-resource.project-connected","payload":{"installationId":"` + inst +
				`","resourceId":"` + resource + `","projectId":"prj_text","project":{"id":"prj_text","name":"web\u0000app"},"targets":["production"]}}`,
			check: func(t *testing.T, e *env) {
				var name string
				if err := e.App.DB.Get(&name, e.App.DB.Rebind(`SELECT name FROM resource_projects WHERE project_id = ?`), "prj_text"); err != nil || name != "web\uFFFDapp" {
					t.Errorf("project name %q (%v), want the NUL replaced", name, err)
				}
			}},
		{name: "raw NUL byte in a string is not JSON", want: 400,
			body: "{\"id\":\"evt_raw\",\"type\":\"deployment.created\",\"payload\":{\"note\":\"a\x00b\"}}"},
	}
	drivers(t, func(t *testing.T, opts apptest.Options) {
		e := newEnv(t, opts)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := e.post(t, []byte(tt.body), e.Sim.WebhookSignature([]byte(tt.body))); got != tt.want {
					t.Fatalf("status %d, want %d", got, tt.want)
				}
				if tt.want != http.StatusOK {
					return
				}
				body := e.storedBody(t, tt.id)
				if !utf8.ValidString(body) || strings.Contains(body, "\x00") || escapedNUL.MatchString(body) {
					t.Errorf("stored body %q holds text a database cannot store", body)
				}
				if tt.stored != "" && !strings.Contains(body, tt.stored) {
					t.Errorf("stored body %q, want it to hold %q", body, tt.stored)
				}
				if got := e.feedOf(t, tt.id); len(got) != 1 {
					t.Errorf("event %q is %d times on the feed, want once", tt.id, len(got))
				}
				if tt.check != nil {
					tt.check(t, e)
				}
			})
		}
		if strings.Contains(e.Logs.String(), `"level":"ERROR"`) {
			t.Errorf("errors logged:\n%s", e.Logs.String())
		}
	})
}

// escapedNUL finds a \u0000 escape (not an escaped backslash before u0000).
var escapedNUL = regexp.MustCompile(`(^|[^\\])(\\\\)*\\u0000`)

// storedBody returns the stored body of the event id.
func (e *env) storedBody(t *testing.T, id string) string {
	t.Helper()
	var body string
	if err := e.App.DB.Get(&body, e.App.DB.Rebind(`SELECT body FROM webhook_events WHERE id = ?`), id); err != nil {
		t.Fatalf("stored event %q: %v", id, err)
	}
	return body
}
