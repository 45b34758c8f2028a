package vercelsim

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// AccountInfo is what getAccountInfo answers for an installation.
type AccountInfo struct {
	Name    string   `json:"name,omitempty"`
	URL     string   `json:"url"`
	Contact *Contact `json:"contact"` // nil is sent as null
}

// Contact is an account's best contact.
type Contact struct {
	Email string `json:"email"`
	Name  string `json:"name,omitempty"`
}

// Member is what getMember answers.
type Member struct {
	ID           string `json:"id"`
	Role         string `json:"role"`
	GlobalUserID string `json:"globalUserId,omitempty"`
	UserEmail    string `json:"userEmail,omitempty"`
}

// InstallationState is a snapshot of Vercel's view of one installation.
type InstallationState struct {
	ID          string
	AccessToken string // the newest live token; "" before RegisterInstallation or Install
	// OldTokens are live tokens a rotation superseded, not yet revoked;
	// RevokedTokens are dead, and RevokedUses counts the calls that came
	// with one (each answered 401).
	OldTokens       []string `json:",omitempty"`
	RevokedTokens   []string `json:",omitempty"`
	RevokedUses     int      `json:",omitempty"`
	Account         AccountInfo
	Status          string          // last status sent with updateInstallation
	ExternalID      string          // last externalId sent with updateInstallation
	BillingPlan     json.RawMessage // last billingPlan sent with updateInstallation or read back after installation.updated
	Notification    json.RawMessage // last notification sent or read back; "null" once cleared, nil when a read found none
	PendingDeletion bool            // Uninstall ran; final invoices are allowed
	Finalized       bool            // finalizeInstallation ran; the token is dead
}

// installation is Vercel's state for one installation; guarded by Sim.mu.
type installation struct {
	InstallationState
	members map[string]Member
	names   map[string]string // member id -> display name (the id_token's user_name)
	events  []json.RawMessage
	updates []json.RawMessage
	billing []json.RawMessage
	// billingDays keeps the latest submitBillingData per usage day.
	billingDays map[string]billingDay
	balances    []json.RawMessage
	invoices    map[string]*Invoice
	resources   map[string]*Resource
	projects    map[string]*ConnectedProject // by project id, from project-connected webhooks
}

// inst returns the state for id, creating it; callers hold s.mu.
func (s *Sim) inst(id string) *installation {
	in := s.insts[id]
	if in == nil {
		in = &installation{
			InstallationState: InstallationState{ID: id, Account: defaultAccount(id)},
			members:           map[string]Member{},
			names:             map[string]string{},
			invoices:          map[string]*Invoice{},
			resources:         map[string]*Resource{},
			billingDays:       map[string]billingDay{},
		}
		s.insts[id] = in
	}
	return in
}

func defaultAccount(id string) AccountInfo {
	return AccountInfo{
		Name:    "Acme",
		URL:     "https://vercel.com/acme/~/integrations/partner-db/" + id,
		Contact: &Contact{Email: "ada@acme.dev", Name: "Ada Lovelace"},
	}
}

// RegisterInstallation makes id a known installation whose marketplace API
// accepts accessToken as its bearer. A repeat replaces the token and revives
// a finalized installation (a re-install).
func (s *Sim) RegisterInstallation(id, accessToken string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.inst(id)
	in.AccessToken, in.OldTokens = accessToken, nil
	in.Finalized, in.PendingDeletion = false, false
}

// SetAccount sets what getAccountInfo answers for the installation.
func (s *Sim) SetAccount(id string, info AccountInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inst(id).Account = info
}

// SetMember adds or replaces a member of the installation for getMember.
func (s *Sim) SetMember(installationID, memberID, role, email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inst(installationID).members[memberID] = Member{
		ID: memberID, Role: role, GlobalUserID: hexID("global:" + memberID), UserEmail: email,
	}
}

// SetMemberName sets the name a member signs in with (user_name).
func (s *Sim) SetMemberName(installationID, memberID, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inst(installationID).names[memberID] = name
}

// memberName is the member's display name: the one set, "Ada Lovelace"
// for the default admin, else the local part of their email.
func (s *Sim) memberName(installationID, userID string) string {
	s.mu.Lock()
	name := s.inst(installationID).names[userID]
	s.mu.Unlock()
	switch {
	case name != "":
		return name
	case userID == DefaultAdminUserID:
		return "Ada Lovelace"
	}
	local, _, _ := strings.Cut(s.memberEmail(installationID, userID), "@")
	return local
}

// RemoveMember deletes a member, so getMember answers 404.
func (s *Sim) RemoveMember(installationID, memberID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.inst(installationID).members, memberID)
}

// SetPendingDeletion marks the installation as being uninstalled (Uninstall
// does this), which allows final invoices.
func (s *Sim) SetPendingDeletion(id string, pending bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inst(id).PendingDeletion = pending
}

// Installation returns a snapshot of the installation's state.
func (s *Sim) Installation(id string) (InstallationState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.insts[id]
	if !ok {
		return InstallationState{}, false
	}
	st := in.InstallationState
	st.OldTokens, st.RevokedTokens = slices.Clone(st.OldTokens), slices.Clone(st.RevokedTokens)
	return st, true
}

// Events returns the "event" objects createEvent received, in order.
func (s *Sim) Events(installationID string) []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.inst(installationID).events)
}

// InstallationUpdates returns the updateInstallation bodies received.
func (s *Sim) InstallationUpdates(installationID string) []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.inst(installationID).updates)
}

func (s *Sim) ensureMember(installationID, userID, role string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.inst(installationID)
	if _, ok := in.members[userID]; !ok {
		in.members[userID] = Member{ID: userID, Role: role, GlobalUserID: hexID("global:" + userID), UserEmail: userID + "@acme.dev"}
	}
}

func (s *Sim) memberEmail(installationID, userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.inst(installationID).members[userID]; ok && m.UserEmail != "" {
		return m.UserEmail
	}
	return userID + "@acme.dev"
}

// authed checks the installation's bearer token before h runs.
func (s *Sim) authed(h func(http.ResponseWriter, *http.Request, *installation)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "Bearer") || token == "" {
			writeError(w, http.StatusUnauthorized, "forbidden", "missing bearer token")
			return
		}
		s.mu.Lock()
		in := s.insts[r.PathValue("id")]
		var known, live, revoked, finalized bool
		if in != nil {
			known, finalized = in.AccessToken != "", in.Finalized
			live = in.liveToken(token)
			if revoked = slices.Contains(in.RevokedTokens, token); revoked {
				in.RevokedUses++
			}
		}
		s.mu.Unlock()
		switch {
		case !known:
			writeError(w, http.StatusNotFound, "not_found", "installation "+r.PathValue("id")+" not found")
		case revoked:
			writeError(w, http.StatusUnauthorized, "forbidden", "the token was revoked")
		case !live:
			writeError(w, http.StatusUnauthorized, "forbidden", "the token is not valid for this installation")
		case finalized:
			writeError(w, http.StatusUnauthorized, "forbidden", "the installation is finalized; its token is no longer valid")
		default:
			h(w, r, in)
		}
	}
}

// liveToken reports whether token is one of the installation's live
// tokens (compared in constant time); callers hold s.mu.
func (in *installation) liveToken(token string) bool {
	ok := 0
	for _, t := range append([]string{in.AccessToken}, in.OldTokens...) {
		if t != "" {
			ok |= subtle.ConstantTimeCompare([]byte(token), []byte(t))
		}
	}
	return ok == 1
}

// readBody checks the content type and decodes the body against c. On
// failure it answers 400 and returns ok=false.
func readBody(w http.ResponseWriter, r *http.Request, c checker) (map[string]any, []byte, bool) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		badRequest(w, "Content-Type must be application/json, got "+strconv.Quote(r.Header.Get("Content-Type")))
		return nil, nil, false
	}
	raw := mustRead(r)
	m, err := decodeObject(raw)
	if err != nil {
		badRequest(w, err.Error())
		return nil, nil, false
	}
	if serr := c("", m); serr != nil {
		badRequest(w, serr.Error())
		return nil, nil, false
	}
	return m, raw, true
}

func (s *Sim) handleGetAccountInfo(w http.ResponseWriter, r *http.Request, in *installation) {
	s.mu.Lock()
	info := in.Account
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, info)
}

func (s *Sim) handleGetMember(w http.ResponseWriter, r *http.Request, in *installation) {
	s.mu.Lock()
	m, ok := in.members[r.PathValue("memberId")]
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", "member "+r.PathValue("memberId")+" not found")
		return
	}
	writeJSON(w, http.StatusOK, m)
}

func (s *Sim) handleCreateEvent(w http.ResponseWriter, r *http.Request, in *installation) {
	body, _, ok := readBody(w, r, createEventBody)
	if !ok {
		return
	}
	event := body["event"].(map[string]any)
	ev, _ := json.Marshal(event)
	s.mu.Lock()
	in.events = appendCapped(in.events, ev)
	s.mu.Unlock()
	writeEmpty(w, http.StatusCreated)
	s.rereadAfter(r.Context().Done(), in.ID, event) // the request's context ends once it is answered
}

func (s *Sim) handleUpdateInstallation(w http.ResponseWriter, r *http.Request, in *installation) {
	body, raw, ok := readBody(w, r, updateInstallationBody)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in.updates = appendCapped(in.updates, raw)
	if v, ok := body["status"].(string); ok {
		in.Status = v
	}
	if v, ok := body["externalId"].(string); ok {
		in.ExternalID = v
	}
	if v, ok := body["billingPlan"]; ok {
		in.BillingPlan, _ = json.Marshal(v)
	}
	if v, ok := body["notification"]; ok {
		in.Notification, _ = json.Marshal(v)
	}
	writeEmpty(w, http.StatusNoContent)
}

func (s *Sim) handleFinalizeInstallation(w http.ResponseWriter, r *http.Request, in *installation) {
	if len(bytes.TrimSpace(mustRead(r))) > 0 {
		badRequest(w, "body: finalizeInstallation takes no body")
		return
	}
	s.mu.Lock()
	in.Finalized = true
	s.mu.Unlock()
	writeEmpty(w, http.StatusNoContent)
}

// InstallationIDs lists the known installations, sorted.
func (s *Sim) InstallationIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.insts))
}
