package webhooks_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/vercel-partner/partner-server/internal/app/apptest"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

func TestDeliveredThreeTimesIsStoredAndHandledOnce(t *testing.T) {
	drivers(t, func(t *testing.T, opts apptest.Options) {
		e := newEnv(t, opts)
		invoiceID := e.Sim.SeedInvoice(inst, vercelsim.Invoice{Total: "20.00"})
		sequential := e.Sim.InvoiceEvent("paid", inst, invoiceID, "", "", vercelsim.Period{})
		for range 3 {
			e.mustDeliver(t, sequential)
		}
		concurrent := e.Sim.CustomEvent("deployment.created", map[string]any{"deployment": map[string]any{"id": "dpl_1"}})
		var wg sync.WaitGroup
		statuses := make([]int, 3)
		for i := range statuses {
			wg.Go(func() { statuses[i] = e.deliver(t, concurrent) })
		}
		wg.Wait()
		for i, s := range statuses {
			if s != http.StatusOK {
				t.Errorf("concurrent delivery %d: %d, want 200", i, s)
			}
		}
		if n := e.stored(t); n != 2 {
			t.Errorf("%d events stored, want 2", n)
		}
		for _, id := range []string{sequential.ID, concurrent.ID} {
			if got := e.feedOf(t, id); len(got) != 1 {
				t.Errorf("event %s is %d times on the feed, want once", id, len(got))
			}
		}
		var out struct {
			Invoices []struct{ InvoiceID, State string }
		}
		e.internal(t, "GET", "/installations/"+inst+"/invoices", &out)
		if len(out.Invoices) != 1 || out.Invoices[0].State != "paid" {
			t.Errorf("invoice records %+v, want one paid", out.Invoices)
		}
	})
}

func TestRefusedDeliveriesStoreNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, apptest.Options{MaxBodyBytes: 4 << 10})
	ev := e.Sim.RemovedEvent(inst)
	big := e.Sim.CustomEvent("deployment.created", map[string]any{"pad": strings.Repeat("x", 8<<10)})
	tests := []struct {
		name string
		send func() int
		want int
	}{
		{"bad signature", func() int { return e.deliver(t, ev, vercelsim.WithBadSignature()) }, http.StatusUnauthorized},
		{"no signature", func() int { return e.deliver(t, ev, vercelsim.WithoutSignature()) }, http.StatusUnauthorized},
		{"signature not hex", func() int { return e.post(t, []byte(`{}`), "zz") }, http.StatusUnauthorized},
		{"over the body limit", func() int { return e.deliver(t, big) }, http.StatusRequestEntityTooLarge},
		{"not JSON", func() int { return e.signedPost(t, `not json`) }, http.StatusBadRequest},
		{"array", func() int { return e.signedPost(t, `[{"id":"evt_1","type":"x","payload":{}}]`) }, http.StatusBadRequest},
		{"no id", func() int { return e.signedPost(t, `{"type":"x","payload":{}}`) }, http.StatusBadRequest},
		{"numeric id", func() int { return e.signedPost(t, `{"id":1,"type":"x","payload":{}}`) }, http.StatusBadRequest},
		{"empty type", func() int { return e.signedPost(t, `{"id":"evt_1","type":"","payload":{}}`) }, http.StatusBadRequest},
		{"payload not an object", func() int { return e.signedPost(t, `{"id":"evt_1","type":"x","payload":[1]}`) }, http.StatusBadRequest},
		{"no payload", func() int { return e.signedPost(t, `{"id":"evt_1","type":"x"}`) }, http.StatusBadRequest},
		{"trailing data", func() int { return e.signedPost(t, `{"id":"evt_1","type":"x","payload":{}} {}`) }, http.StatusBadRequest},
	}
	for _, tt := range tests {
		if got := tt.send(); got != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, got, tt.want)
		}
	}
	if n := e.stored(t); n != 0 {
		t.Errorf("%d events stored, want none", n)
	}
	var in struct{ Status string }
	e.internal(t, "GET", "/installations/"+inst, &in)
	if in.Status != "active" {
		t.Errorf("installation %s after refused removals, want active", in.Status)
	}
}

func TestUnknownTypeAndUnknownInstallationAreKeptOnTheFeed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, apptest.Options{})
	payload := map[string]any{"installationId": inst, "anything": []any{1.5, "two", map[string]any{"x": nil}}}
	custom := e.Sim.CustomEvent("marketplace.something.new", payload)
	stranger := e.Sim.InvoiceEvent("paid", "icfg_unknown0000000000000000", "inv_x", "ext", "1.00", vercelsim.Period{})
	e.mustDeliver(t, custom)
	e.mustDeliver(t, stranger)
	got := e.feedOf(t, custom.ID)
	if len(got) != 1 || got[0].Type != "marketplace.something.new" || got[0].InstallationID != inst {
		t.Fatalf("feed entries %+v", got)
	}
	if p := string(got[0].Data.Payload); !strings.Contains(p, `"anything":[1.5,"two",{"x":null}]`) {
		t.Errorf("payload on the feed %s, want it unchanged", p)
	}
	if got := e.feedOf(t, stranger.ID); len(got) != 1 || got[0].Type != "marketplace.invoice.paid" {
		t.Errorf("event for an unknown installation: feed %+v", got)
	}
}

// post sends body with sig as x-vercel-signature.
func (e *env) post(t testing.TB, body []byte, sig string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.hook, bytes.NewReader(body))
	req.Header.Set("x-vercel-signature", sig)
	res, err := http.DefaultClient.Do(req.WithContext(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// signedPost sends body correctly signed.
func (e *env) signedPost(t testing.TB, body string) int {
	t.Helper()
	return e.post(t, []byte(body), e.Sim.WebhookSignature([]byte(body)))
}
