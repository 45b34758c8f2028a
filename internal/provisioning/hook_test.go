package provisioning

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

var testSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

func hookServer(t *testing.T, h func(w http.ResponseWriter, req Request)) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := Verify(testSecret, r.Header, body); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var req Request
		if err := json.Unmarshal(body, &req); err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		h(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestCallSignsAndDecodes(t *testing.T) {
	t.Parallel()
	srv := hookServer(t, func(w http.ResponseWriter, req Request) {
		if req.Type != TypeProvision || req.InstallationID != "icfg_1" {
			http.Error(w, "wrong request", http.StatusBadRequest)
			return
		}
		io.WriteString(w, `{"secrets":[{"name":"DATABASE_URL","value":"postgres://x"}],"status":"ready"}`)
	})
	c, err := New(srv.URL, testSecret, time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Call(context.Background(), Request{Type: TypeProvision, InstallationID: "icfg_1", Resource: map[string]string{"id": "res_1"}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "ready" || len(got.Secrets) != 1 || got.Secrets[0].Value != "postgres://x" {
		t.Fatalf("answer = %+v", got)
	}
}

func TestCallFailures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		secret  string // the client's; the server checks testSecret
		handler func(w http.ResponseWriter, req Request)
		timeout time.Duration
		want    string
	}{
		{name: "wrong key is refused by the hook", secret: "whsec_" + base64.StdEncoding.EncodeToString([]byte("another key")),
			handler: func(w http.ResponseWriter, _ Request) {}, want: "answered 401"},
		{name: "hook error", handler: func(w http.ResponseWriter, _ Request) {
			http.Error(w, `{"secret":"leak"}`, http.StatusInternalServerError)
		}, want: "answered 500"},
		{name: "timeout", timeout: 50 * time.Millisecond, handler: func(w http.ResponseWriter, _ Request) {
			time.Sleep(300 * time.Millisecond)
		}, want: "unreachable"},
		{name: "not json", handler: func(w http.ResponseWriter, _ Request) { io.WriteString(w, `secret-value`) }, want: "not the expected"},
		{name: "secret without name", handler: func(w http.ResponseWriter, _ Request) {
			io.WriteString(w, `{"secrets":[{"value":"v"}]}`)
		}, want: "secrets[0].name"},
		{name: "too large", handler: func(w http.ResponseWriter, _ Request) {
			io.WriteString(w, `{"secrets":[],"x":"`+strings.Repeat("a", MaxResponse)+`"}`)
		}, want: "larger than"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := hookServer(t, tc.handler)
			secret := tc.secret
			if secret == "" {
				secret = testSecret
			}
			timeout := tc.timeout
			if timeout == 0 {
				timeout = 2 * time.Second
			}
			c, err := New(srv.URL, secret, timeout, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Call(context.Background(), Request{Type: TypeRotateSecrets, InstallationID: "icfg_1"})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "leak") || strings.Contains(err.Error(), "secret-value") {
				t.Errorf("error carries the answer: %v", err)
			}
		})
	}
}

func TestNewRefusesBadSecret(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "whsec_", "whsec_!!!", base64.StdEncoding.EncodeToString([]byte("k"))} {
		if _, err := New("http://x", s, time.Second, nil); err == nil {
			t.Errorf("New accepted secret %q", s)
		}
	}
}

func TestSignIsStandardWebhooks(t *testing.T) {
	t.Parallel()
	// Standard Webhooks reference vector.
	key, _ := base64.StdEncoding.DecodeString("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	got := Sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}
