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
	"time"

	"github.com/vercel-partner/partner-server/internal/provisioning"
)

// demoHook plays the partner's own provisioning service: it "creates" a
// database for each resource and answers its connection secrets.
type demoHook struct {
	secret string
	srv    *http.Server
	url    string
}

func startDemoHook(secret string) (*demoHook, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo: hook: %w", err)
	}
	h := &demoHook{secret: secret, url: "http://" + ln.Addr().String() + "/provision"}
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
	ans := provisioning.Response{Secrets: []provisioning.Secret{}}
	switch req.Type {
	case provisioning.TypeProvision:
		ans.Status = "ready"
		ans.Secrets = demoDatabaseSecrets(req.Resource.ID, req.Resource.Name)
	case provisioning.TypeRotateSecrets:
		ans.Secrets = demoDatabaseSecrets(req.Resource.ID, req.Resource.Name)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(ans)
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
