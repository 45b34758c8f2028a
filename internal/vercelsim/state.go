package vercelsim

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// savedRequests bounds how many recorded requests Save keeps.
const savedRequests = 500

// savedState is what Save writes: enough for a restarted simulator to
// accept the partner's stored tokens and show the same history.
type savedState struct {
	Keys             []savedKey          `json:"keys"`
	RedirectLoginURL string              `json:"redirectLoginUrl,omitempty"`
	Installations    []savedInstallation `json:"installations"`
	Requests         []Request           `json:"requests,omitempty"`
	Deployments      []*Deployment       `json:"deployments,omitempty"`
}

type savedKey struct {
	KID     string `json:"kid"`
	PKCS8   []byte `json:"pkcs8"`
	Current bool   `json:"current,omitempty"`
}

type savedInstallation struct {
	State       InstallationState            `json:"state"`
	Members     map[string]Member            `json:"members"`
	Names       map[string]string            `json:"names,omitempty"`
	Events      []json.RawMessage            `json:"events,omitempty"`
	Updates     []json.RawMessage            `json:"updates,omitempty"`
	Billing     []json.RawMessage            `json:"billing,omitempty"`
	BillingDays map[string]savedDay          `json:"billingDays,omitempty"`
	Balances    []json.RawMessage            `json:"balances,omitempty"`
	Invoices    []savedInvoice               `json:"invoices,omitempty"`
	Resources   map[string]*Resource         `json:"resources,omitempty"`
	Projects    map[string]*ConnectedProject `json:"projects,omitempty"`
}

type savedDay struct {
	Timestamp time.Time       `json:"timestamp"`
	Body      json.RawMessage `json:"body"`
}

// savedInvoice adds the fields getInvoice does not show.
type savedInvoice struct {
	Invoice
	Final     bool            `json:"final,omitempty"`
	Submitted json.RawMessage `json:"submitted,omitempty"`
}

// Save writes the simulator's state to path as JSON (atomically, mode
// 0600: it holds access tokens and signing keys). Faults, the mode and
// unexchanged SSO codes are not kept; recorded requests are kept without
// their Authorization headers.
func (s *Sim) Save(path string) error {
	st := savedState{}
	s.keysMu.RLock()
	for i, k := range s.keys {
		der, err := x509.MarshalPKCS8PrivateKey(k.priv)
		if err != nil {
			s.keysMu.RUnlock()
			return fmt.Errorf("vercelsim: save: %w", err)
		}
		st.Keys = append(st.Keys, savedKey{KID: k.kid, PKCS8: der, Current: i == 0})
	}
	s.keysMu.RUnlock()
	s.mu.Lock()
	st.RedirectLoginURL = s.redirectLoginURL
	st.Deployments = s.deployments
	for _, in := range s.insts {
		st.Installations = append(st.Installations, saveInstallation(in))
	}
	for _, r := range s.requests[max(0, len(s.requests)-savedRequests):] {
		r.Header = r.Header.Clone()
		r.Header.Del("Authorization")
		st.Requests = append(st.Requests, r)
	}
	s.mu.Unlock()
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("vercelsim: save: %w", err)
	}
	return writeFileAtomic(path, data)
}

// saveInstallation copies one installation; callers hold s.mu.
func saveInstallation(in *installation) savedInstallation {
	out := savedInstallation{State: in.InstallationState, Members: in.members, Names: in.names,
		Events: in.events, Updates: in.updates, Billing: in.billing, Balances: in.balances,
		Resources: in.resources, Projects: in.projects, BillingDays: map[string]savedDay{}}
	for day, b := range in.billingDays {
		out.BillingDays[day] = savedDay{Timestamp: b.timestamp, Body: b.body}
	}
	for _, inv := range in.invoices {
		out.Invoices = append(out.Invoices, savedInvoice{Invoice: *inv, Final: inv.Final, Submitted: inv.Submitted})
	}
	return out
}

func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".vercelsim-*")
	if err != nil {
		return fmt.Errorf("vercelsim: save: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("vercelsim: save: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("vercelsim: save: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("vercelsim: save: %w", err)
	}
	return nil
}

// Load replaces the simulator's state with what Save wrote to path: its
// installations, tokens, resources, secrets, invoices, members, signing
// keys and recorded requests.
func (s *Sim) Load(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("vercelsim: load: %w", err)
	}
	var st savedState
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("vercelsim: load %s: %w", path, err)
	}
	keys, err := loadKeys(st.Keys)
	if err != nil {
		return fmt.Errorf("vercelsim: load %s: %w", path, err)
	}
	insts := map[string]*installation{}
	for _, si := range st.Installations {
		insts[si.State.ID] = loadInstallation(si)
	}
	if len(keys) > 0 {
		s.keysMu.Lock()
		s.keys = keys
		s.keysMu.Unlock()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.insts, s.requests, s.redirectLoginURL, s.deployments = insts, st.Requests, st.RedirectLoginURL, st.Deployments
	return nil
}

// loadKeys decodes saved keys, the current one first.
func loadKeys(saved []savedKey) ([]signingKey, error) {
	var keys []signingKey
	for _, k := range saved {
		priv, err := x509.ParsePKCS8PrivateKey(k.PKCS8)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", k.KID, err)
		}
		rk, ok := priv.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("key %s is not RSA", k.KID)
		}
		sk := signingKey{priv: rk, kid: k.KID}
		if k.Current {
			keys = append([]signingKey{sk}, keys...)
		} else {
			keys = append(keys, sk)
		}
	}
	return keys, nil
}

func loadInstallation(si savedInstallation) *installation {
	in := &installation{InstallationState: si.State, members: si.Members, names: si.Names,
		events: si.Events, updates: si.Updates, billing: si.Billing, balances: si.Balances,
		resources: si.Resources, projects: si.Projects, invoices: map[string]*Invoice{}, billingDays: map[string]billingDay{}}
	if in.members == nil {
		in.members = map[string]Member{}
	}
	if in.names == nil {
		in.names = map[string]string{}
	}
	if in.resources == nil {
		in.resources = map[string]*Resource{}
	}
	for day, b := range si.BillingDays {
		in.billingDays[day] = billingDay{timestamp: b.Timestamp, body: b.Body}
	}
	for _, sv := range si.Invoices {
		inv := sv.Invoice
		inv.Final, inv.Submitted = sv.Final, sv.Submitted
		in.invoices[inv.InvoiceID] = &inv
	}
	return in
}
