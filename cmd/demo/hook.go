package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vercel-partner/partner-server/internal/deployments"
	"github.com/vercel-partner/partner-server/internal/provisioning"
)

// demoHook plays the partner's own database service: it "creates" a
// database for each resource and answers its connection secrets, and a
// branch of it for each preview deployment, dropped at cleanup. Like a
// careful partner's service it deduplicates resource requests by
// webhook-id: a request retried after a crash gets the answer of the
// first, the same secrets.
type demoHook struct {
	secret string
	srv    *http.Server
	url    string

	mu       sync.Mutex
	api      internalClient    // set once our server runs: branches are reported through it
	branches map[string]string // by deployment and resource: the branch's name
	work     sync.WaitGroup    // branches being created
	closed   bool
	answers  map[string][]byte // by webhook-id
	order    []string          // oldest first, to bound answers
}

// maxRemembered bounds the answers the demo hook keeps for repeats.
const maxRemembered = 1000

func startDemoHook(secret string) (*demoHook, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo: hook: %w", err)
	}
	h := &demoHook{secret: secret, url: "http://" + ln.Addr().String() + "/provision", branches: map[string]string{},
		answers: map[string][]byte{}}
	h.srv = &http.Server{Handler: http.HandlerFunc(h.serve), ReadHeaderTimeout: 5 * time.Second}
	go h.srv.Serve(ln)
	return h, nil
}

// Close stops the hook and waits for the branches it is creating.
func (h *demoHook) Close() {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	h.srv.Close()
	h.work.Wait()
}

// useAPI gives the hook the internal API, through which it reports the
// branches it creates.
func (h *demoHook) useAPI(c internalClient) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.api = c
}

func (h *demoHook) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || provisioning.Verify(h.secret, r.Header, body) != nil {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var req struct {
		Type     string `json:"type"`
		Resource struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"resource"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	if req.Type == provisioning.TypeREPL {
		demoREPL(w, body)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch req.Type {
	case deployments.TypeAction, deployments.TypeActionCancel, deployments.TypeActionCleanup,
		deployments.TypeCheckRun, deployments.TypeCheckRunCancel:
		var dr deployments.Request
		json.Unmarshal(body, &dr)
		json.NewEncoder(w).Encode(h.deployment(dr))
		return
	}
	w.Write(h.answer(r.Header.Get("webhook-id"), func() []byte { return demoAnswer(req.Type, req.Resource.ID, req.Resource.Name) }))
}

// answer is the first answer given under id, made by mk once.
func (h *demoHook) answer(id string, mk func() []byte) []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	if a, ok := h.answers[id]; ok {
		return a
	}
	a := mk()
	h.answers[id] = a
	h.order = append(h.order, id)
	if len(h.order) > maxRemembered {
		delete(h.answers, h.order[0])
		h.order = h.order[1:]
	}
	return a
}

// demoAnswer answers one resource request.
func demoAnswer(typ, id, name string) []byte {
	ans := provisioning.Response{Secrets: []provisioning.Secret{}}
	switch typ {
	case provisioning.TypeProvision:
		ans.Status = "ready"
		ans.Secrets = demoDatabaseSecrets(id, name)
	case provisioning.TypeRotateSecrets:
		ans.Secrets = demoDatabaseSecrets(id, name)
	}
	b, _ := json.Marshal(ans)
	return b
}

// deployment answers a deployment request: a branch is being created
// (running; done a moment later through the internal API), the branch's
// migrations passed (the check run), or the branch is dropped.
func (h *demoHook) deployment(r deployments.Request) any {
	branch := branchName(r.DeploymentID)
	key := r.DeploymentID + "/" + r.ResourceID
	switch r.Type {
	case deployments.TypeAction:
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.closed {
			return map[string]any{"async": true}
		}
		h.work.Go(func() { h.createBranch(r, branch) })
		return map[string]any{"status": "running", "statusText": "creating branch " + branch}
	case deployments.TypeCheckRun:
		return map[string]any{"status": "completed", "conclusion": "succeeded",
			"output": map[string]any{"branch": branch, "migrations": "3 applied", "schema": "up to date"}}
	case deployments.TypeActionCancel, deployments.TypeActionCleanup:
		h.mu.Lock()
		delete(h.branches, key)
		h.mu.Unlock()
	}
	return map[string]any{}
}

// createBranch "creates" the branch, then reports it with its own
// DATABASE_URL through the internal API, as a real service would once its
// work is done.
func (h *demoHook) createBranch(r deployments.Request, branch string) {
	time.Sleep(1500 * time.Millisecond)
	h.mu.Lock()
	h.branches[r.DeploymentID+"/"+r.ResourceID] = branch
	api := h.api
	h.mu.Unlock()
	if api.base == "" {
		return
	}
	url := fmt.Sprintf("postgres://app:%s@%s.%s.db.demo.invalid:5432/main", strings.ToLower(rand.Text()[:16]), branch, strings.ToLower(r.ResourceID))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	api.do(ctx, http.MethodPatch, "/installations/"+r.InstallationID+"/deployments/"+r.DeploymentID+"/actions/"+r.ResourceID+"/"+r.Action,
		map[string]any{"status": "succeeded", "statusText": "branch " + branch + " is ready", "outcomes": []any{
			map[string]any{"kind": "resource-secrets", "secrets": []any{map[string]any{"name": "DATABASE_URL", "value": url}}}}})
}

// Branches lists the branches the demo's database service holds.
func (h *demoHook) Branches() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Sorted(maps.Values(h.branches))
}

// branchName is a preview deployment's branch: one per deployment.
func branchName(deploymentID string) string {
	id := strings.ToLower(strings.TrimPrefix(deploymentID, "dpl_"))
	return "preview-" + id[:min(len(id), 10)]
}

// demoDatabaseSecrets are fresh, made-up credentials of a resource.
func demoDatabaseSecrets(id, name string) []provisioning.Secret {
	user := strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(name))
	pass := strings.ToLower(rand.Text()[:16])
	return []provisioning.Secret{
		{Name: "DATABASE_URL", Value: fmt.Sprintf("postgres://%s:%s@%s.db.demo.invalid:5432/main", cmp.Or(user, "app"), pass, strings.ToLower(id))},
		{Name: "DATABASE_TOKEN", Value: "tok_" + strings.ToLower(rand.Text())},
	}
}
