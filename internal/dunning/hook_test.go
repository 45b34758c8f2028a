package dunning_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/config"
	"github.com/vercel-partner/partner-server/internal/provisioning"
	"github.com/vercel-partner/partner-server/internal/resources"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// hookCall is one call the partner's hook received.
type hookCall struct{ typ, resource, webhookID string }

// TestDunningHookCallsKeepTheirWebhookID: in hook mode, a suspension the
// hook refused the first time is asked again on the next run under the
// same webhook-id (one operation, so the hook can deduplicate), and the
// resumption that ends it is another operation with an id of its own.
func TestDunningHookCallsKeepTheirWebhookID(t *testing.T) {
	t.Parallel()
	key := make([]byte, 32)
	rand.Read(key)
	secret := "whsec_" + base64.StdEncoding.EncodeToString(key)
	var (
		mu    sync.Mutex
		calls []hookCall
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if provisioning.Verify(secret, r.Header, body) != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var req struct {
			Type     string
			Resource struct{ ID string }
		}
		json.Unmarshal(body, &req)
		mu.Lock()
		calls = append(calls, hookCall{req.Type, req.Resource.ID, r.Header.Get("webhook-id")})
		first := len(calls) == 1
		mu.Unlock()
		if first {
			w.WriteHeader(http.StatusServiceUnavailable) // the first suspension fails
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{}`))
	}))
	t.Cleanup(hook.Close)
	e := newEnv(t, func(c *config.Config) { c.Provisioning.HookURL, c.Provisioning.HookSecret = hook.URL, secret })

	invoice := e.Sim.SeedInvoice(inst, vercelsim.Invoice{Total: "20.00", State: "invoiced"})
	e.webhook(e.Sim.InvoiceEvent("created", inst, invoice, "", "", vercelsim.Period{}))
	day0 := time.Now()
	e.webhook(e.Sim.InvoiceEvent("notpaid", inst, invoice, "", "", vercelsim.Period{}))
	e.wait("the warning", func() bool { return e.notification() == "warn" })

	if got := actions(e.run(day0.Add(15*24*time.Hour + time.Hour))); got != "escalated notified:error" {
		t.Errorf("past the grace, with the hook refusing: %s", got)
	}
	if e.status("db_paid") == "suspended" {
		t.Fatal("suspended although the hook refused")
	}
	if got := actions(e.run(day0.Add(15*24*time.Hour + 2*time.Hour))); got != "suspended:db_paid" {
		t.Errorf("the next run: %s, want the suspension", got)
	}
	e.wait("the suspension at Vercel", func() bool { return e.status("db_paid") == "suspended" })
	e.webhook(e.Sim.InvoiceEvent("paid", inst, invoice, "", "", vercelsim.Period{}))
	e.wait("the resumption", func() bool { return e.status("db_paid") == "resumed" })

	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 3 {
		t.Fatalf("hook calls %+v, want two suspensions and a resumption", calls)
	}
	suspend, again, resume := calls[0], calls[1], calls[2]
	if suspend.typ != resources.HookSuspend || again.typ != resources.HookSuspend || resume.typ != resources.HookResume ||
		suspend.resource != "db_paid" || resume.resource != "db_paid" {
		t.Fatalf("hook calls %+v", calls)
	}
	if suspend.webhookID == "" || again.webhookID != suspend.webhookID {
		t.Errorf("the suspension was asked under webhook-ids %q then %q, want one", suspend.webhookID, again.webhookID)
	}
	if resume.webhookID == "" || resume.webhookID == suspend.webhookID {
		t.Errorf("the resumption's webhook-id %q, want its own", resume.webhookID)
	}
}
