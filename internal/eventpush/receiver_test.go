package eventpush_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// receiver is the partner's push endpoint in these tests. It verifies
// every request the way a Standard Webhooks library does (its own code,
// not the server's signer), and fails the requests fail picks.
type receiver struct {
	t      testing.TB
	key    []byte
	srv    *httptest.Server
	addr   string
	fail   func(n int, installationID string) failure
	mu     sync.Mutex
	n      int
	got    []receipt // every 2xx answer, in order
	bodies map[string]string
	bad    []string // what failed verification
}

type receipt struct {
	webhookID, installationID string
	eventID                   int64
}

// failure is how the receiver fails one request ("" answers 204).
type failure string

const (
	ok        failure = ""
	redirect  failure = "302"
	clientErr failure = "400"
	serverErr failure = "500"
	hang      failure = "hang"
)

func newReceiver(t testing.TB, secret string, fail func(n int, installationID string) failure) *receiver {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{t: t, key: key, fail: fail, bodies: map[string]string{}}
	r.start("127.0.0.1:0")
	t.Cleanup(func() { r.srv.Close() })
	return r
}

func (r *receiver) URL() string { return "http://" + r.addr + "/events" }

// restart closes the receiver, dropping what is in flight, and opens it
// again on the same address.
func (r *receiver) restart() {
	r.srv.Close()
	r.start(r.addr)
}

func (r *receiver) start(addr string) {
	var ln net.Listener
	var err error
	for range 50 { // the port was just closed; it may take a moment to free
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		r.t.Fatal(err)
	}
	r.addr = ln.Addr().String()
	r.srv = httptest.NewUnstartedServer(http.HandlerFunc(r.serve))
	r.srv.Listener.Close()
	r.srv.Listener = ln
	r.srv.Start()
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	if req.URL.Path == "/elsewhere" {
		r.mu.Lock()
		r.bad = append(r.bad, "a redirect was followed")
		r.mu.Unlock()
		return
	}
	id := req.Header.Get("webhook-id")
	if err := r.verify(req.Header, body); err != "" {
		r.mu.Lock()
		r.bad = append(r.bad, err)
		r.mu.Unlock()
		http.Error(w, err, http.StatusUnauthorized)
		return
	}
	var ev struct {
		ID             int64  `json:"id"`
		Cursor         string `json:"cursor"`
		InstallationID string `json:"installationId"`
	}
	if err := json.Unmarshal(body, &ev); err != nil || strconv.FormatInt(ev.ID, 10) != id || ev.Cursor != id {
		r.mu.Lock()
		r.bad = append(r.bad, "body is not the event named by webhook-id: "+string(body))
		r.mu.Unlock()
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.n++
	f := r.fail(r.n, ev.InstallationID)
	r.mu.Unlock()
	switch f {
	case redirect:
		w.Header().Set("Location", "/elsewhere")
		w.WriteHeader(http.StatusFound)
	case clientErr:
		w.WriteHeader(http.StatusBadRequest)
	case serverErr:
		w.WriteHeader(http.StatusInternalServerError)
	case hang:
		<-req.Context().Done() // the server gives up first
	default:
		r.mu.Lock()
		if prev, seen := r.bodies[id]; seen && prev != string(body) {
			r.bad = append(r.bad, "webhook-id "+id+" came again with another body")
		}
		r.bodies[id] = string(body)
		r.got = append(r.got, receipt{webhookID: id, installationID: ev.InstallationID, eventID: ev.ID})
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}
}

// verify is Standard Webhooks' verification: the signed content is
// "<webhook-id>.<webhook-timestamp>.<body>", HMAC-SHA256 with the
// base64-decoded secret, compared with each "v1,<base64>" signature; the
// timestamp must be within five minutes.
func (r *receiver) verify(h http.Header, body []byte) string {
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return "missing webhook headers"
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		return "timestamp out of tolerance"
	}
	mac := hmac.New(sha256.New, r.key)
	mac.Write([]byte(id + "." + ts + "." + string(body)))
	want := mac.Sum(nil)
	for _, s := range strings.Split(sigs, " ") {
		version, sig, _ := strings.Cut(s, ",")
		got, err := base64.StdEncoding.DecodeString(sig)
		if version == "v1" && err == nil && hmac.Equal(got, want) {
			return ""
		}
	}
	return "no valid signature for webhook-id " + id
}

// received returns a copy of the 2xx receipts and the failed checks.
func (r *receiver) received() ([]receipt, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]receipt(nil), r.got...), append([]string(nil), r.bad...)
}

// distinct is the number of different webhook-ids received.
func (r *receiver) distinct() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.bodies)
}
