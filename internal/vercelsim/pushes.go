package vercelsim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The partner's event receiver, played by the simulator for the demo: the
// server pushes every feed event to PushReceiverURL (events.push_url),
// signed with the secret given to SetPushSecret, and the /pushes page
// shows what arrived.

// RoutePushReceiver is where the simulated receiver takes pushes.
const RoutePushReceiver = "POST /partner/events"

// keptPushes bounds the pushes the receiver remembers.
const keptPushes = 500

// ReceivedPush is one push the simulated receiver took.
type ReceivedPush struct {
	WebhookID      string
	Type           string
	InstallationID string
	Time           time.Time
	Valid          bool // the signature verified with the push secret
	Repeat         bool // the webhook-id came before (a retry)
	Body           []byte
}

type pushReceiver struct {
	key    []byte
	pushes []ReceivedPush
	seen   map[string]bool
}

// SetPushSecret sets the whsec_ secret the receiver verifies with.
func (s *Sim) SetPushSecret(secret string) {
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.push.key = key
}

// PushReceiverURL is the URL to set as events.push_url.
func (s *Sim) PushReceiverURL() string { return s.url + "/partner/events" }

// Pushes returns the pushes received, oldest first.
func (s *Sim) Pushes() []ReceivedPush {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ReceivedPush(nil), s.push.pushes...)
}

func (s *Sim) handlePush(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	var ev struct {
		Type           string `json:"type"`
		InstallationID string `json:"installationId"`
	}
	_ = json.Unmarshal(body, &ev)
	id := r.Header.Get("webhook-id")
	s.mu.Lock()
	p := ReceivedPush{WebhookID: id, Type: ev.Type, InstallationID: ev.InstallationID, Time: s.now(), Body: body,
		Valid: verifyStandardWebhook(s.push.key, r.Header, body, s.now())}
	if s.push.seen == nil || len(s.push.seen) > 100*keptPushes {
		s.push.seen = map[string]bool{} // bounded: a repeat that old is not marked
	}
	p.Repeat = s.push.seen[id]
	s.push.seen[id] = true
	s.push.pushes = append(s.push.pushes, p)
	if n := len(s.push.pushes); n > keptPushes {
		s.push.pushes = append([]ReceivedPush(nil), s.push.pushes[n-keptPushes:]...)
	}
	s.mu.Unlock()
	if !p.Valid {
		writeError(w, http.StatusUnauthorized, "bad_signature", "the push's signature does not verify")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// verifyStandardWebhook checks webhook-signature ("v1,<base64>" entries,
// space-separated) over "<webhook-id>.<webhook-timestamp>.<body>" and a
// timestamp within five minutes of now.
func verifyStandardWebhook(key []byte, h http.Header, body []byte, now time.Time) bool {
	id, ts := h.Get("webhook-id"), h.Get("webhook-timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if len(key) == 0 || id == "" || err != nil || now.Sub(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		v, b64, _ := strings.Cut(sig, ",")
		got, err := base64.StdEncoding.DecodeString(b64)
		if v == "v1" && err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

// pushesView is the /pushes page.
type pushesView struct {
	Header     headerView
	URL        string
	Pushes     []ReceivedPush // newest first
	Total      int
	Configured bool
}

func (s *Sim) handlePushesPage(w http.ResponseWriter, r *http.Request) {
	all := s.Pushes()
	v := pushesView{Header: headerView{Links: s.consoleConfig().Links, Mode: s.modeName()}, URL: s.PushReceiverURL(), Total: len(all)}
	s.mu.Lock()
	v.Configured = len(s.push.key) > 0
	s.mu.Unlock()
	for i := len(all) - 1; i >= 0 && len(v.Pushes) < requestsPerPage; i-- {
		v.Pushes = append(v.Pushes, all[i])
	}
	s.render(w, "pushes", v)
}
