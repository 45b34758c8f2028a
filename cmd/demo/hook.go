package main

import (
	"cmp"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/vercel-partner/partner-server/internal/provisioning"
)

// demoHook plays the partner's own provisioning service: it "creates" a
// database for each resource and answers its connection secrets. Like a
// careful partner's service it deduplicates by webhook-id: a request
// retried after a crash gets the answer of the first, the same secrets.
type demoHook struct {
	secret string
	srv    *http.Server
	url    string

	mu      sync.Mutex
	answers map[string][]byte // by webhook-id
	order   []string          // oldest first, to bound answers
}

// maxRemembered bounds the answers the demo hook keeps for repeats.
const maxRemembered = 1000

func startDemoHook(secret string) (*demoHook, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo: hook: %w", err)
	}
	h := &demoHook{secret: secret, url: "http://" + ln.Addr().String() + "/provision", answers: map[string][]byte{}}
	h.srv = &http.Server{Handler: http.HandlerFunc(h.serve), ReadHeaderTimeout: 5 * time.Second}
	go h.srv.Serve(ln)
	return h, nil
}

func (h *demoHook) Close() { h.srv.Close() }

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

// demoAnswer answers one hook request.
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

// demoDatabaseSecrets are fresh, made-up credentials of a resource.
func demoDatabaseSecrets(id, name string) []provisioning.Secret {
	user := strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(name))
	pass := strings.ToLower(rand.Text()[:16])
	return []provisioning.Secret{
		{Name: "DATABASE_URL", Value: fmt.Sprintf("postgres://%s:%s@%s.db.demo.invalid:5432/main", cmp.Or(user, "app"), pass, strings.ToLower(id))},
		{Name: "DATABASE_TOKEN", Value: "tok_" + strings.ToLower(rand.Text())},
	}
}
