package internalapi_test

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/app/apptest"
	"github.com/vercel-partner/partner-server/internal/config"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// With events.push_url set, the feed's events reach the receiver (here the
// simulator's) signed, and the delivery routes follow each push by its
// push_ id.
func TestPushedEventsAreFollowedLikeDeliveries(t *testing.T) {
	t.Parallel()
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("a-push-secret-of-32-bytes-......"))
	sim, err := vercelsim.Start(vercelsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	sim.SetPushSecret(secret)
	opts := fastRetries
	env := apptest.New(t, apptest.Options{Sim: sim, Catalog: testCatalog, Deliveries: &opts, Config: func(c *config.Config) {
		c.Events.PushURL, c.Events.PushSecret = sim.PushReceiverURL(), secret
	}})
	e := &internalEnv{sim: env.Sim, srv: env.Srv}
	if _, err := env.Sim.Install(context.Background(), env.URL, testInstallation); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for len(env.Sim.Pushes()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	pushes := env.Sim.Pushes()
	if len(pushes) == 0 || !pushes[0].Valid || pushes[0].WebhookID != "1" || pushes[0].Type != "installation.created" ||
		pushes[0].InstallationID != testInstallation {
		t.Fatalf("pushes = %+v", pushes)
	}
	d := e.waitDelivery(t, "push_1")
	if d["status"] != "delivered" || d["operation"] != "pushEvent" || d["target"] != "1" || d["installationId"] != testInstallation {
		t.Fatalf("GET /deliveries/push_1 = %v", d)
	}
	if status, body := e.call(t, "POST", "/deliveries/push_1/retry", ""); status != http.StatusConflict {
		t.Errorf("retry of a delivered push: %d %v", status, body)
	}
	if status, _ := e.call(t, "GET", "/deliveries/push_999", ""); status != http.StatusNotFound {
		t.Errorf("unknown push: %d", status)
	}
	page, err := http.Get(env.Sim.URL() + "/pushes")
	if err != nil {
		t.Fatal(err)
	}
	defer page.Body.Close()
	html, _ := io.ReadAll(page.Body)
	if !strings.Contains(string(html), "installation.created") || !strings.Contains(string(html), ">valid<") {
		t.Errorf("the /pushes page does not show the push:\n%s", html)
	}
}
