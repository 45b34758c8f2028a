package partnerapi_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/vercel-partner/partner-server/internal/app/apptest"
	"github.com/vercel-partner/partner-server/internal/config"
	"github.com/vercel-partner/partner-server/internal/db/dbtest"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

type reply struct {
	status int
	body   string
}

func put(t *testing.T, url, token, key, body string) reply {
	req, _ := http.NewRequest(http.MethodPut, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return reply{}
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return reply{res.StatusCode, string(b)}
}

// Two replicas on one PostgreSQL database get the same keyed upsert at
// once: the installation is written once and every caller gets its answer.
func TestIdempotencyAcrossReplicas(t *testing.T) {
	dsn := dbtest.PostgresDSN(t) // a fresh schema, dropped at cleanup
	sim, err := vercelsim.Start(vercelsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	// Replicas share the database and the encryption key (each Env
	// would otherwise draw its own).
	key := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	var replicas [2]*apptest.Env
	for i := range replicas {
		replicas[i] = apptest.New(t, apptest.Options{Sim: sim, Catalog: testCatalog, Driver: "postgres", DSN: dsn, NoWorker: true,
			Config: func(c *config.Config) { c.EncryptionKey = key }})
	}
	token := sim.UserToken(testInstallation, "user_1", "ADMIN")
	path := "/v1/installations/" + testInstallation
	body := upsertBody("tok_replicas")

	replies := make([]reply, 24)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range replies {
		wg.Go(func() {
			<-start
			replies[i] = put(t, replicas[i%2].URL+path, token, "replica-key", body)
		})
	}
	close(start)
	wg.Wait()
	for i, r := range replies {
		if r.status != http.StatusOK || r.body != replies[0].body {
			t.Errorf("reply %d: %d %s; reply 0: %d %s", i, r.status, r.body, replies[0].status, replies[0].body)
		}
	}

	evs, err := replicas[0].App.Events.EventsAfter(t.Context(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	effects := 0
	for _, ev := range evs {
		if ev.InstallationID == testInstallation &&
			(ev.Type == installations.EventInstallationCreated || ev.Type == installations.EventInstallationUpdated) {
			effects++
		}
	}
	if effects != 1 {
		t.Errorf("%d installation.created/updated events, want exactly 1", effects)
	}
	var keys int
	if err := replicas[1].App.DB.GetContext(t.Context(), &keys, `SELECT COUNT(*) FROM idempotency_keys`); err != nil || keys != 1 {
		t.Errorf("%d idempotency rows (%v), want 1", keys, err)
	}
	if tok, err := replicas[1].App.Installations.Token(t.Context(), testInstallation); err != nil || tok != "tok_replicas" {
		t.Errorf("stored token %q %v", tok, err)
	}

	// The key now belongs to that request, on every replica.
	for i, e := range replicas {
		r := put(t, e.URL+path, token, "replica-key", upsertBody("tok_other"))
		if r.status != http.StatusConflict || !strings.Contains(r.body, `"idempotency_key_reused"`) {
			t.Errorf("replica %d, same key and another body: %d %s, want 409 idempotency_key_reused", i, r.status, r.body)
		}
	}
}
