package vercelsim

import (
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

func TestSaveAndLoadKeepTokensKeysAndMembers(t *testing.T) {
	t.Parallel()
	a, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	a.RegisterInstallation("icfg_s", "tok-saved")
	a.SetMember("icfg_s", "u2", "USER", "grace@acme.dev")
	a.SetMemberName("icfg_s", "u2", "Grace Hopper")
	a.SetResource("icfg_s", "db_1", Resource{ProductID: "pg", Name: "main", Secrets: []Secret{{Name: "URL", Value: "v1"}}})
	inv := a.SeedInvoice("icfg_s", Invoice{Total: "3.00"})
	_, kid := a.SigningKey()
	path := filepath.Join(t.TempDir(), "sim.json")
	if err := a.Save(path); err != nil {
		t.Fatal(err)
	}

	b, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Load(path); err != nil {
		t.Fatal(err)
	}
	if _, got := b.SigningKey(); got != kid {
		t.Errorf("kid after load %q, want %q", got, kid)
	}
	if got := b.Secrets("icfg_s", "db_1"); len(got) != 1 || got[0].Value != "v1" {
		t.Errorf("secrets after load %+v", got)
	}
	if got, ok := b.Invoice("icfg_s", inv); !ok || got.Total != "3.00" {
		t.Errorf("invoice after load %+v %v", got, ok)
	}
	if name := b.memberName("icfg_s", "u2"); name != "Grace Hopper" {
		t.Errorf("member name after load %q", name)
	}
	for token, want := range map[string]int{"tok-saved": 200, "tok-other": 401} {
		req, _ := http.NewRequest(http.MethodGet, b.URL()+"/v1/installations/icfg_s/account", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("token %s after load: %d, want %d", token, res.StatusCode, want)
		}
	}
}

func TestConsoleRefusesCrossSiteForms(t *testing.T) {
	t.Parallel()
	s, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tests := []struct {
		name, origin string
		want         int
		mode         Mode
	}{
		{"another site", "https://evil.example", http.StatusForbidden, ModeUp},
		{"same origin", s.URL(), http.StatusSeeOther, ModeDown},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(http.MethodPost, s.URL()+"/console/mode", strings.NewReader(url.Values{"mode": {"down"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", tt.origin)
		res, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tt.want || s.Mode() != tt.mode {
			t.Errorf("%s: %d, mode %v; want %d, mode %v", tt.name, res.StatusCode, s.Mode(), tt.want, tt.mode)
		}
	}
}
