package vercelsim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// rereadTimeout bounds one re-read of the partner's state.
const rereadTimeout = 10 * time.Second

// Reread is one read of the partner's state that the simulator made on
// its own, as Vercel does after createEvent: GET the resource after
// resource.updated, GET the installation after installation.updated.
type Reread struct {
	Time           time.Time // when the read was answered (or failed), by the simulator's clock
	InstallationID string
	ResourceID     string // "" for an installation
	Method, Path   string // the request sent to the partner
	Status         int    // the partner's answer; 0 when there was none
	Error          string // why Vercel's copy was not updated; "" when it was
}

// SetPartnerURL tells the simulator the integration's base URL, where it
// re-reads state after createEvent. Without one (the default, unless
// SetConsole names a partner) createEvent is only recorded.
func (s *Sim) SetPartnerURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.partnerURL = u
}

// Rereads returns the re-reads made since Start or Reset, in the order
// they finished.
func (s *Sim) Rereads() []Reread {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.rereads)
}

// rereadAfter starts, in the background, the read that event (a
// createEvent "event" object the schema accepted) makes Vercel do, once
// answered is closed.
func (s *Sim) rereadAfter(answered <-chan struct{}, installationID string, event map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.partnerURL == "" || s.closed {
		return
	}
	rd := Reread{InstallationID: installationID, Method: http.MethodGet}
	key := installationID
	switch event["type"] {
	case "resource.updated":
		rd.ResourceID, _ = event["resourceId"].(string)
		key += "/" + rd.ResourceID
		rd.Path = resourceURL("", installationID, rd.ResourceID)
	case "installation.updated":
		rd.Path = installationURL("", installationID)
	default:
		return
	}
	s.rereadSeq[key]++
	seq, base := s.rereadSeq[key], s.partnerURL
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		select {
		case <-answered:
			s.reread(base, key, seq, rd)
		case <-s.bg.Done():
		}
	}()
}

// reread sends one read and applies its answer unless a read of the same
// thing that started later has already been applied.
func (s *Sim) reread(base, key string, seq uint64, rd Reread) {
	ctx, cancel := context.WithTimeout(s.bg, rereadTimeout)
	defer cancel()
	resp, err := s.CallPartner(ctx, rd.Method, base+rd.Path, rd.InstallationID, nil, AsSystem())
	rd.Time, rd.Status = s.now(), resp.Status
	s.mu.Lock()
	switch {
	case err != nil:
		rd.Error = "the partner did not answer: " + err.Error()
	case resp.Status != http.StatusOK:
		rd.Error = fmt.Sprintf("the partner answered %d %s%s", resp.Status, http.StatusText(resp.Status), why(resp.JSON))
	case resp.JSON == nil:
		rd.Error = "the partner's answer is not a JSON object"
	case seq < s.rereadApplied[key]:
		rd.Error = "a later read of the same state was applied first"
	default:
		rd.Error = s.applyReread(rd, resp.JSON)
		if rd.Error == "" {
			s.rereadApplied[key] = seq
		}
	}
	s.rereads = appendCapped(s.rereads, rd)
	s.mu.Unlock()
	if rd.Error != "" {
		s.logf("vercelsim: re-read %s %s: %s", rd.Method, rd.Path, rd.Error)
	}
}

// applyReread updates Vercel's copy from a partner answer; callers hold
// s.mu. It returns why nothing was updated, or "".
func (s *Sim) applyReread(rd Reread, answer map[string]any) string {
	in, ok := s.insts[rd.InstallationID]
	if !ok {
		return "Vercel knows no installation " + rd.InstallationID
	}
	if rd.ResourceID == "" {
		in.BillingPlan = rawField(answer, "billingPlan")
		in.Notification = rawField(answer, "notification")
		return ""
	}
	res, ok := in.resources[rd.ResourceID]
	if !ok {
		return "Vercel has no copy of resource " + rd.ResourceID
	}
	applyPartnerResource(res, answer)
	res.Notification = rawField(answer, "notification")
	return ""
}

// rawField is answer[key] as JSON; nil when the key is absent, because a
// read answers the whole state: no notification means none.
func rawField(answer map[string]any, key string) json.RawMessage {
	v, ok := answer[key]
	if !ok {
		return nil
	}
	b, _ := json.Marshal(v)
	return b
}
