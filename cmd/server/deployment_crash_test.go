package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/provisioning"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// crashHook is the partner's hook for the crash test: it provisions
// resources at once and holds the first call of each deployment job
// until released; later calls succeed. It records the webhook-id of every
// deployment call.
type crashHook struct {
	secret  string
	mu      sync.Mutex
	ids     map[string][]string // by request type
	arrived chan string         // a held call arrived (its type)
	release chan struct{}
}

func (h *crashHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if provisioning.Verify(h.secret, r.Header, body) != nil {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var req struct{ Type, DeploymentID string }
	json.Unmarshal(body, &req)
	switch req.Type {
	case "resource.provision":
		io.WriteString(w, `{"status":"ready","secrets":[{"name":"DATABASE_URL","value":"postgres://main"}]}`)
		return
	case "deployment.action", "deployment.checkrun":
	default:
		return
	}
	h.mu.Lock()
	h.ids[req.Type] = append(h.ids[req.Type], r.Header.Get("webhook-id"))
	first := len(h.ids[req.Type]) == 1
	h.mu.Unlock()
	if first {
		h.arrived <- req.Type
		select {
		case <-h.release:
		case <-r.Context().Done():
		}
		return
	}
	if req.Type == "deployment.checkrun" {
		io.WriteString(w, `{"status":"completed","conclusion":"succeeded"}`)
		return
	}
	io.WriteString(w, `{"status":"succeeded","outcomes":[{"kind":"resource-secrets","secrets":[{"name":"DATABASE_URL","value":"postgres://branch-`+req.DeploymentID+`"}]}]}`)
}

// TestKilledServerStillCompletesTheDeploymentAfterRestart runs the real
// binary in hook mode, deploys a preview, kills the process with SIGKILL
// while the hook holds the action's and the check run's first calls,
// starts it again and sees both completed at Vercel, the hook asked again
// under the same webhook-ids.
func TestKilledServerStillCompletesTheDeploymentAfterRestart(t *testing.T) {
	bin := serverBinary(t)
	sim, err := vercelsim.Start(vercelsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("crash-test-hook-secret-0123456789"))
	hook := &crashHook{secret: secret, ids: map[string][]string{}, arrived: make(chan string, 2), release: make(chan struct{})}
	hsrv := httptest.NewServer(hook)
	defer hsrv.Close()
	defer close(hook.release)
	const (
		inst     = "icfg_crashdeploy000000000001"
		internal = "crash-test-internal-token-123456"
	)
	env := append(childEnv(sim, internal), "PARTNER_DATABASE_DSN="+filepath.Join(t.TempDir(), "partner.db"),
		"PARTNER_DELIVERIES_POLL_INTERVAL=50ms", "PARTNER_PROVISIONING_HOOK_URL="+hsrv.URL,
		"PARTNER_PROVISIONING_HOOK_SECRET="+secret, "PARTNER_PROVISIONING_HOOK_TIMEOUT=1s",
		`PARTNER_PRODUCTS=[{"id":"postgres","name":"Postgres","secret_names":["DATABASE_URL"],"plans":[{"id":"free","type":"subscription","name":"Free","description":"Free","payment_method_required":false}]}]`)
	var logs lockedBuffer
	cmd, url := startChild(t, bin, env, &logs)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := sim.Install(ctx, url, inst); err != nil {
		t.Fatal(err)
	}
	r, err := sim.ProvisionResource(ctx, url, inst, map[string]any{"productId": "postgres", "name": "main", "billingPlanId": "free", "metadata": map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	rid := r["id"].(string)
	ev := sim.ProjectConnectedEvent(inst, rid, vercelsim.Project{ID: "prj_crash", Name: "crash"}, []string{"preview"})
	if status, err := sim.DeliverWebhook(ctx, url+"/webhooks/vercel", ev); err != nil || status != http.StatusOK {
		t.Fatalf("connect: %d %v", status, err)
	}
	d, err := sim.DeployPreview(ctx, url+"/webhooks/vercel", inst, "prj_crash", vercelsim.DeployOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		select {
		case <-hook.arrived:
		case <-ctx.Done():
			t.Fatalf("the hook was not called:\n%s", logs.String())
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	startChild(t, bin, env, &logs)
	for deadline := time.Now().Add(40 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		got, _ := sim.Deployment(d.ID)
		if len(got.Actions[0].Statuses) > 0 && len(got.CheckRuns[0].Updates) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the deployment was not completed after the restart: %+v\n%s", got, logs.String())
		}
	}
	got, _ := sim.Deployment(d.ID)
	if st := got.Actions[0].Statuses; len(st) != 1 || st[0].Status != "succeeded" || len(got.Actions[0].Env) != 1 {
		t.Errorf("Vercel took %+v with env %+v, want succeeded with the branch's DATABASE_URL", st, got.Actions[0].Env)
	}
	if c := got.CheckRuns[0].Last(); c.Status != "completed" || c.Conclusion != "succeeded" {
		t.Errorf("the check run ended %+v", c)
	}
	hook.mu.Lock()
	defer hook.mu.Unlock()
	for typ, ids := range hook.ids {
		if len(ids) < 2 || slices.ContainsFunc(ids, func(id string) bool { return id != ids[0] }) {
			t.Errorf("%s calls had webhook-ids %v, want the same id on every attempt", typ, ids)
		}
	}
}
